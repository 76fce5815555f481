import * as crypto from 'node:crypto';
import { PrefixedSha256, SHA256_BLOCK_BYTES } from './sha256.ts';
import { PrefixedSha256x4, SINGLE_BLOCK_TAIL_BYTES } from './sha256x4.ts';

/** Bytes kept of the SHA-256 digest: 128 bits, a fixed-size Redis hash field / Bloom input. */
export const DIGEST_BYTES = 16;

/** Version tag opening every hashed input; a new framing gets a new tag, never a silent change. */
export const DIGEST_DOMAIN = 'mskguard.key.v2';

/** What the digested material is: a key found by a source, or the content-hash fallback. */
export const DigestKind = { businessKey: 1, content: 2 } as const;

/*
 * Hashed input ("frame"), every variable-length field length-prefixed so that no two distinct
 * inputs share a frame (e.g. key "ab" + value "c" vs key "a" + value "bc"):
 *
 *   prefix   = "mskguard.key.v2" | u32 len(group) | group (UTF-8) | u64 epoch | zeros
 *   business = prefix | 0x01 | u32 len(material) | material
 *   content  = prefix | 0x02 | u32 len(topic) | topic | field(key) | field(value)
 *   field(x) = 0x00 when x is null | 0x01 | u32 len(x) | x
 *
 * Integers are big-endian. The zeros pad the prefix to a whole number of 64-byte SHA-256 blocks
 * (their count follows from len(group), so the frame stays unambiguous): FrameHasher compresses
 * the prefix once per (group, epoch) and hashes only each record's tail, a single compression for
 * a business key of up to 50 bytes (decision 0007). A key found by any source (header, record
 * key, JSON field, function) is a business id, so the same id found by different sources gives
 * the same digest; content hashes live in their own domain (0x02) and include the topic, because
 * identical bytes on two topics are not evidence of one business event.
 */

/**
 * The frame prefix shared by every key of one (group, epoch), zero-padded to whole 64-byte
 * blocks; computed once per deriver.
 *
 * @example
 * ```ts
 * digestPrefix('orders', 0).length; // 64
 * ```
 */
export function digestPrefix(group: string, epoch: number): Buffer {
  const groupBytes = Buffer.from(group, 'utf8');
  const used = DIGEST_DOMAIN.length + 4 + groupBytes.length + 8;
  const prefix = Buffer.alloc(Math.ceil(used / SHA256_BLOCK_BYTES) * SHA256_BLOCK_BYTES);
  let at = prefix.write(DIGEST_DOMAIN, 0, 'ascii');
  at = prefix.writeUInt32BE(groupBytes.length, at);
  at += groupBytes.copy(prefix, at);
  prefix.writeBigUInt64BE(BigInt(epoch), at);
  return prefix;
}

/**
 * The frame of a key found by a source.
 *
 * @example
 * ```ts
 * const digest = digestFrame(frameBusinessKey(digestPrefix('orders', 0), Buffer.from('ord-1')));
 * ```
 */
export function frameBusinessKey(prefix: Uint8Array, material: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(prefix.length + 5 + material.length);
  frame.set(prefix, 0);
  let at = frame.writeUInt8(DigestKind.businessKey, prefix.length);
  at = frame.writeUInt32BE(material.length, at);
  frame.set(material, at);
  return frame;
}

/** The frame of the content-hash fallback: topic, key and value, null distinct from empty. */
export function frameContent(
  prefix: Uint8Array,
  topic: string,
  key: Uint8Array | null,
  value: Uint8Array | null,
): Buffer {
  const topicBytes = Buffer.from(topic, 'utf8');
  const size = prefix.length + 5 + topicBytes.length + fieldSize(key) + fieldSize(value);
  const frame = Buffer.allocUnsafe(size);
  frame.set(prefix, 0);
  let at = frame.writeUInt8(DigestKind.content, prefix.length);
  at = frame.writeUInt32BE(topicBytes.length, at);
  at += topicBytes.copy(frame, at);
  at = writeField(frame, at, key);
  writeField(frame, at, value);
  return frame;
}

function fieldSize(field: Uint8Array | null): number {
  return field === null ? 1 : 5 + field.length;
}

function writeField(frame: Buffer, at: number, field: Uint8Array | null): number {
  if (field === null) return frame.writeUInt8(0, at);
  let next = frame.writeUInt8(1, at);
  next = frame.writeUInt32BE(field.length, next);
  frame.set(field, next);
  return next + field.length;
}

// Tails up to this many bytes are hashed in TypeScript from the prefix's midstate (at most three
// compressions); longer ones by node:crypto over the whole frame. node:crypto costs ~1.3 µs per
// call but hashes each byte ~7x faster: measured, the two cross at ~190 bytes (decision 0007).
const MIDSTATE_MAX_TAIL = 3 * SHA256_BLOCK_BYTES - 9;

/** Where a frame's tail is written: the midstate hasher, or a scratch frame for node:crypto. */
interface FrameSink {
  byte(value: number): void;
  u32(value: number): void;
  bytes(data: Uint8Array): void;
  digestInto(out: Uint8Array, at: number, length: number): void;
}

/**
 * Hashes the frames of one (group, epoch) into caller-provided memory: the same digests as
 * `digestFrame(frameBusinessKey(...))` / `digestFrame(frameContent(...))` without an allocation
 * per record (10,000-record batches). The padded prefix is compressed once, here; a short tail
 * (every business key up to 178 bytes) then costs only its own SHA-256 blocks, computed in
 * TypeScript, where node:crypto's per-call overhead exceeded the hashing itself.
 *
 * @example
 * ```ts
 * const hasher = new FrameHasher('orders', 0);
 * const out = Buffer.allocUnsafe(2 * DIGEST_BYTES);
 * hasher.businessKey(Buffer.from('ord-1'), out, 0);
 * hasher.content('orders', null, Buffer.from('{}'), out, DIGEST_BYTES);
 * ```
 *
 * A whole batch goes faster through `beginBatch` / `queueBusinessKey` / `endBatch`: business keys
 * of up to 50 bytes are then hashed four at a time in WebAssembly SIMD, once for the batch.
 */
export class FrameHasher {
  readonly #sha: PrefixedSha256;
  readonly #scratch: ScratchFrame;
  readonly #topics = new Map<string, Buffer>();
  /** Null where WebAssembly SIMD is unavailable: every key then goes through #sha. */
  readonly #x4: PrefixedSha256x4 | null;
  #batchSize = -1;

  public constructor(group: string, epoch: number) {
    const prefix = digestPrefix(group, epoch);
    this.#sha = new PrefixedSha256(prefix);
    this.#scratch = new ScratchFrame(prefix);
    this.#x4 = PrefixedSha256x4.create(prefix);
  }

  /** Starts a batch of `n` keys, slots 0..n-1 (one batch at a time). */
  public beginBatch(n: number): void {
    this.#x4?.begin(n);
    this.#batchSize = n;
  }

  /**
   * Queues the business key of slot `slot` for {@link FrameHasher.endBatch}, when its frame's tail
   * fits in one SHA-256 block. False when it does not (or without SIMD): hash it with
   * {@link FrameHasher.businessKey} instead.
   */
  public queueBusinessKey(material: Uint8Array | readonly number[], slot: number): boolean {
    const x4 = this.#x4;
    if (x4 === null || 5 + material.length > SINGLE_BLOCK_TAIL_BYTES || slot >= this.#batchSize) return false;
    x4.writeTail(slot, DigestKind.businessKey, material);
    return true;
  }

  /**
   * Hashes the queued keys and writes each one's digest to `out` at `slot * DIGEST_BYTES`; slots
   * not queued (`queued[slot] === 0`) are left as they are.
   */
  public endBatch(out: Uint8Array, queued: Uint8Array): void {
    const n = this.#batchSize;
    this.#batchSize = -1;
    const x4 = this.#x4;
    if (x4 === null || !queued.includes(1)) return;
    x4.run(n);
    for (let i = 0; i < n; ) {
      if (queued[i] === 0) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && queued[j] === 1) j++;
      x4.copyDigests(i, j, out, i * DIGEST_BYTES);
      i = j;
    }
  }

  /** Writes the digest of a business key's frame to `out` at `at`. */
  public businessKey(material: Uint8Array, out: Buffer, at: number): void {
    const sink = this.#begin(5 + material.length);
    sink.byte(DigestKind.businessKey);
    sink.u32(material.length);
    sink.bytes(material);
    sink.digestInto(out, at, DIGEST_BYTES);
  }

  /** Writes the digest of a content frame (topic, key, value) to `out` at `at`. */
  public content(
    topic: string,
    key: Uint8Array | null,
    value: Uint8Array | null,
    out: Buffer,
    at: number,
  ): void {
    let topicBytes = this.#topics.get(topic);
    if (topicBytes === undefined) {
      topicBytes = Buffer.from(topic, 'utf8');
      this.#topics.set(topic, topicBytes);
    }
    const sink = this.#begin(5 + topicBytes.length + fieldSize(key) + fieldSize(value));
    sink.byte(DigestKind.content);
    sink.u32(topicBytes.length);
    sink.bytes(topicBytes);
    optionalField(sink, key);
    optionalField(sink, value);
    sink.digestInto(out, at, DIGEST_BYTES);
  }

  #begin(tailBytes: number): FrameSink {
    if (tailBytes <= MIDSTATE_MAX_TAIL) {
      this.#sha.begin();
      return this.#sha;
    }
    this.#scratch.begin(tailBytes);
    return this.#scratch;
  }
}

function optionalField(sink: FrameSink, bytes: Uint8Array | null): void {
  if (bytes === null) {
    sink.byte(0);
    return;
  }
  sink.byte(1);
  sink.u32(bytes.length);
  sink.bytes(bytes);
}

/** The whole frame in one reused buffer, for node:crypto: the prefix stays, tails overwrite. */
class ScratchFrame implements FrameSink {
  readonly #prefix: Buffer;
  #buffer: Buffer;
  #end = 0;

  public constructor(prefix: Buffer) {
    this.#prefix = prefix;
    this.#buffer = Buffer.allocUnsafe(prefix.length + 1024);
    prefix.copy(this.#buffer, 0);
  }

  /** Starts a frame whose tail will be `tailBytes` long. */
  public begin(tailBytes: number): void {
    const need = this.#prefix.length + tailBytes;
    if (need > this.#buffer.length) {
      this.#buffer = Buffer.allocUnsafe(Math.max(need, 2 * this.#buffer.length));
      this.#prefix.copy(this.#buffer, 0);
    }
    this.#end = this.#prefix.length;
  }

  public byte(value: number): void {
    this.#buffer[this.#end++] = value;
  }

  public u32(value: number): void {
    this.#end = this.#buffer.writeUInt32BE(value, this.#end);
  }

  public bytes(data: Uint8Array): void {
    this.#buffer.set(data, this.#end);
    this.#end += data.length;
  }

  public digestInto(out: Uint8Array, at: number, length: number): void {
    out.set(digestFrame(this.#buffer.subarray(0, this.#end)).subarray(0, length), at);
  }
}

// crypto.hash (Node >= 20.12 / 21.7) skips the Hash object: ~1.5x faster for short inputs.
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer })
  .hash;

/** SHA-256 of `frame`, truncated to {@link DIGEST_BYTES}. */
export function digestFrame(frame: Uint8Array): Buffer {
  const full = oneShot
    ? oneShot('sha256', frame, 'buffer')
    : crypto.createHash('sha256').update(frame).digest();
  return full.subarray(0, DIGEST_BYTES);
}

/**
 * The printable id of a digest: base64url, 22 characters, no padding. Its alphabet
 * (`A-Z a-z 0-9 - _`) never contains `{`, `}` or `:`, so it is safe inside a Redis key.
 *
 * @example
 * ```ts
 * digestId(Buffer.alloc(16)); // 'AAAAAAAAAAAAAAAAAAAAAA'
 * ```
 */
export function digestId(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('base64url');
}
