/**
 * SHA-256 of a batch of short messages that share one block-aligned prefix, four at a time in
 * WebAssembly SIMD (wasm/sha256x4.wat): each message's tail must fit in its final block (at most
 * 55 bytes), which the caller writes padded into the module's memory. 10,000 digests take ~1 ms
 * here, against ~5 ms one at a time in TypeScript (PrefixedSha256) and ~20 ms through node:crypto
 * (decision 0007). Longer tails stay with PrefixedSha256.
 */

import { SHA256_BLOCK_BYTES, SHA256_K, sha256Compress, sha256InitialState } from './sha256.ts';
import { SHA256X4_WASM_BASE64 } from './wasm/sha256x4.generated.ts';

/** Longest tail that fits, with its padding (0x80 and the 64-bit length), in one block. */
export const SINGLE_BLOCK_TAIL_BYTES = SHA256_BLOCK_BYTES - 9;

/** Bytes of each digest the batch keeps (the first 16 of SHA-256's 32). */
const OUT_BYTES = 16;
const MIDSTATE_AT = 0;
const K_AT = 64;
const INPUT_AT = 4096;
const PAGE = 65536;
/** Int32 stores put their low byte first (every platform Lambda runs on; checked, not assumed). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// The parts of the WebAssembly JS API used here (the project's TypeScript lib has no DOM types).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => WasmInstance;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is not available (callers fall back). */
function wasmModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(Buffer.from(SHA256X4_WASM_BASE64, 'base64')) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * One batch at a time: `begin(n)`, then for each slot j < n `writeTail(j, kind, material)` to
 * write that message's tail (or leave the slot unused), `run(n)`, and `copyDigests` out. The
 * prefix is compressed once, at construction.
 *
 * @example
 * ```ts
 * const batch = PrefixedSha256x4.create(prefix); // null without WebAssembly SIMD
 * batch.begin(keys.length);
 * keys.forEach((key, j) => batch.writeTail(j, DigestKind.businessKey, key));
 * batch.run(keys.length);
 * batch.copyDigests(0, keys.length, slab, 0);
 * ```
 */
export class PrefixedSha256x4 {
  readonly #hash: (n: number) => void;
  readonly #memory: WasmMemory;
  readonly #prefixBytes: number;
  #bytes: Uint8Array;
  #words: Int32Array;
  #rounded = 0;

  private constructor(instance: WasmInstance, prefix: Uint8Array) {
    this.#hash = instance.exports.hash as (n: number) => void;
    this.#memory = instance.exports.memory as WasmMemory;
    this.#bytes = new Uint8Array(this.#memory.buffer);
    this.#words = new Int32Array(this.#memory.buffer);
    this.#prefixBytes = prefix.length;
    const midstate = sha256InitialState();
    for (let at = 0; at < prefix.length; at += SHA256_BLOCK_BYTES) sha256Compress(midstate, prefix, at);
    this.#words.set(midstate, MIDSTATE_AT / 4);
    this.#words.set(SHA256_K, K_AT / 4);
  }

  /** A hasher for `prefix` (whole 64-byte blocks), or null where WebAssembly SIMD is unavailable. */
  public static create(prefix: Uint8Array): PrefixedSha256x4 | null {
    if (prefix.length % SHA256_BLOCK_BYTES !== 0) {
      throw new RangeError(`PrefixedSha256x4 needs a prefix of whole 64-byte blocks, got ${prefix.length}`);
    }
    const module = wasmModule();
    return module === null || !wasm ? null : new PrefixedSha256x4(new wasm.Instance(module), prefix);
  }

  /** Makes room for `n` messages (growing the module's memory if need be). */
  public begin(n: number): void {
    this.#rounded = (n + 3) & ~3;
    const need = INPUT_AT + this.#rounded * (SHA256_BLOCK_BYTES + OUT_BYTES);
    const have = this.#memory.buffer.byteLength;
    if (need > have) {
      this.#memory.grow(Math.ceil((need - have) / PAGE));
      this.#bytes = new Uint8Array(this.#memory.buffer);
      this.#words = new Int32Array(this.#memory.buffer);
    }
  }

  /**
   * Writes slot j's message tail into its block, padded: a kind byte, the material's length
   * (u32, big-endian), the material, then 0x80, zeros and the whole message's length in bits. The
   * caller checks that the tail fits ({@link SINGLE_BLOCK_TAIL_BYTES}). Every byte is stored as
   * `b & 0xff` (a Uint8Array store, or the same bits packed into an Int32 one), so Java's signed
   * header bytes land as their unsigned selves. One method, locals only: 10,000 tails per batch.
   */
  public writeTail(j: number, kind: number, material: Uint8Array | readonly number[]): void {
    const bytes = this.#bytes;
    const length = material.length;
    const at = INPUT_AT + j * SHA256_BLOCK_BYTES;
    bytes[at] = kind;
    bytes[at + 1] = length >>> 24;
    bytes[at + 2] = (length >>> 16) & 0xff;
    bytes[at + 3] = (length >>> 8) & 0xff;
    bytes[at + 4] = length & 0xff;
    let i = at + 5;
    let k = 0;
    if (LITTLE_ENDIAN && length >= 7) {
      // Three bytes to the block's next word (at + 8), then four bytes per Int32 store: the copy
      // from the event's byte arrays took twice as long one Uint8Array store per byte.
      bytes[i++] = material[0]!;
      bytes[i++] = material[1]!;
      bytes[i++] = material[2]!;
      const words = this.#words;
      let w = i >>> 2;
      for (k = 3; k + 4 <= length; k += 4) {
        words[w++] =
          (material[k]! & 0xff) |
          ((material[k + 1]! & 0xff) << 8) |
          ((material[k + 2]! & 0xff) << 16) |
          (material[k + 3]! << 24);
      }
      i = w << 2;
    }
    for (; k < length; k++) bytes[i++] = material[k]!;
    bytes[i++] = 0x80;
    const lengthAt = at + SHA256_BLOCK_BYTES - 8;
    while (i < lengthAt) bytes[i++] = 0;
    const bits = (this.#prefixBytes + 5 + length) * 8;
    const high = Math.floor(bits / 0x100000000);
    bytes[i++] = high >>> 24;
    bytes[i++] = (high >>> 16) & 0xff;
    bytes[i++] = (high >>> 8) & 0xff;
    bytes[i++] = high & 0xff;
    bytes[i++] = bits >>> 24;
    bytes[i++] = (bits >>> 16) & 0xff;
    bytes[i++] = (bits >>> 8) & 0xff;
    bytes[i] = bits & 0xff;
  }

  /** Hashes slots [0, n) (n as given to `begin`); unused slots give digests nobody reads. */
  public run(n: number): void {
    if (((n + 3) & ~3) !== this.#rounded) throw new RangeError(`run(${n}) after begin for ${this.#rounded}`);
    this.#hash(this.#rounded);
  }

  /** Copies the 16-byte digests of slots [from, to) to `out` at `at`, back to back. */
  public copyDigests(from: number, to: number, out: Uint8Array, at: number): void {
    const outputAt = INPUT_AT + this.#rounded * SHA256_BLOCK_BYTES;
    out.set(this.#bytes.subarray(outputAt + from * OUT_BYTES, outputAt + to * OUT_BYTES), at);
  }
}
