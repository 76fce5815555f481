import { scripts } from '../../../lua/scripts.generated.ts';
import type { ScriptRunner } from '../../cache/script-runner.ts';
import { ConfigurationError } from '../../errors.ts';
import {
  type BloomDigestSource,
  blockAt,
  type DistributedBloomParams,
  maskAt,
} from '../distributed-bloom.ts';
import { foldLog } from './log.ts';

/**
 * The longest an invocation runs between claiming a key and completing it: Lambda's 15-minute
 * limit, plus a minute for the settle after it. A key's Bloom bits are set at most this long
 * after its claim.
 */
export const LONGEST_RUN_MS = 960_000;

/** Bitmap bytes a container copies at most, over all generations: above it, claims test in Redis. */
export const DEFAULT_SNAPSHOT_MAX_BYTES = 32 * 1024 * 1024;

/** The least time a copy may be used for: below it, copies are not worth their reads. */
export const MIN_SAFE_AGE_MS = 60_000;

/** After a read of the copies failed, how long claims test in Redis before it is tried again. */
const RETRY_READ_MS = 60_000;

/** Options of the Bloom tier's copies of its generations (decision 0020). */
export interface BloomCopiesOptions {
  /**
   * How often the current generation is read again, in ms: at most the dedup window less 16 min
   * (a key the exact tier may have forgotten was completed before the copy was read). 0 reads it
   * before every claim. @default the dedup window less 16 min
   */
  readonly refreshMs?: number;
  /** Bitmap bytes a container copies at most, over all generations and cache shards. @default 32 MiB */
  readonly maxBytes?: number;
  /**
   * Completes append their keys' blocks to a log per generation instead of setting bits in Redis,
   * and the copies fold the log (decision 0022): the complete's Bloom write falls from a BITFIELD
   * sub-command per block to one APPEND, for 8 bytes of Redis memory per completed key instead of
   * the bitmap's. Every function of the group must then test against copies: a claim that would
   * test in Redis is refused (a ConfigurationError), and a failed read of the copies fails the
   * claim like an unreachable cache. Every function of the group must run a version that knows
   * the log. @default false
   */
  readonly log?: boolean;
}

/** Options of {@link BloomSnapshots}. */
export interface BloomSnapshotOptions {
  /**
   * The oldest a copy may be, in Redis time, when a claim uses it: the exact window less
   * {@link LONGEST_RUN_MS}. A key the exact tier may have forgotten was completed before a copy
   * this recent was read, so its bits are in the copy (decision 0020). The claim script enforces
   * it with its own clock. Below a minute: no copies.
   */
  readonly safeAgeMs: number;
  /**
   * How long a copy of the current generation is used before it is read again, by this
   * container's clock: at most `safeAgeMs`. 0: read before every claim.
   */
  readonly maxAgeMs: number;
  /** @default DEFAULT_SNAPSHOT_MAX_BYTES */
  readonly maxBytes?: number;
  /**
   * The group logs its Bloom bits ({@link BloomCopiesOptions.log}): claims can only test here, so a
   * failed read throws rather than leave the test to the claim script.
   */
  readonly log?: boolean;
  /** A monotonic clock in ms. @default performance.now */
  readonly now?: () => number;
}

/**
 * A generation as read: its bitmap (`null`: no bit set in Redis), its log folded into bits of their
 * own (`null`: no log) and how many bytes of the log those hold, and whether it can still change.
 */
interface Copy {
  readonly bitmap: Buffer | null;
  readonly logBits: Buffer | null;
  readonly logBytes: number;
  /** Entries of the log past this configuration's blocks were skipped: not foldable here. */
  readonly skipped: boolean;
  readonly final: boolean;
}

/**
 * The distributed Bloom tier's generations, copied whole into the container, so that a claim
 * tests its keys here (nanoseconds per key) instead of one BITFIELD sub-command per key in the
 * claim script, the tier's largest cost (decision 0008). A generation before the current one is
 * written no more and is copied once; the current one is copied again once its copy is older
 * than `maxAgeMs`: one extra round trip per refresh, none per batch. Off (claims test in Redis)
 * when the runner cannot return binary replies (Upstash REST), when the generations would take
 * more than `maxBytes`, or when the window leaves less than a minute of `safeAgeMs`.
 */
export class BloomSnapshots {
  readonly #runner: ScriptRunner;
  readonly #baseKey: string;
  readonly #params: DistributedBloomParams;
  readonly #maxAgeMs: number;
  readonly #safeAgeMs: number;
  readonly #now: () => number;
  readonly #copies = new Map<number, Copy>();
  /** The current generation and Redis's time at the last read, and when (this clock) it was sent and answered. */
  #read: { generation: number; redisMs: number; sentAt: number; receivedAt: number } | undefined;
  /** After a failed read: not before this (this clock). */
  #retryAt = Number.NEGATIVE_INFINITY;
  /** Why claims cannot test here (copies off), or `undefined` while they can. */
  #offReason: string | undefined;
  readonly #log: boolean;

  public constructor(
    runner: ScriptRunner,
    baseKey: string,
    params: DistributedBloomParams,
    options: BloomSnapshotOptions,
  ) {
    this.#runner = runner;
    this.#baseKey = baseKey;
    this.#params = params;
    this.#maxAgeMs = options.maxAgeMs;
    this.#safeAgeMs = options.safeAgeMs;
    this.#now = options.now ?? (() => performance.now());
    this.#log = options.log === true;
    const bytes = params.blocks * 4 * params.generations;
    if (runner.runBinary === undefined)
      this.#offReason = 'the cache client returns no binary replies (Upstash REST)';
    else if (!(options.safeAgeMs >= MIN_SAFE_AGE_MS)) this.#offReason = 'the dedup window is under 17 min';
    else if (!(options.maxAgeMs >= 0 && options.maxAgeMs <= options.safeAgeMs))
      this.#offReason = 'copies.refreshMs is outside 0 to the dedup window less 16 min';
    else if (bytes > (options.maxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES))
      this.#offReason = 'the generations take more than copies.maxBytes';
  }

  /** Why claims cannot test here, or `undefined` when they can. */
  public get offReason(): string | undefined {
    return this.#offReason;
  }

  /** Whether claims are tested here (false: in the claim script). */
  public get active(): boolean {
    return this.#offReason === undefined;
  }

  /** Forgets when the copies were read: the next {@link BloomSnapshots.flags} reads them again. */
  public invalidate(): void {
    this.#read = undefined;
  }

  /**
   * The claim script's Bloom argument: "F<read at> <safe age> " (Redis time, for the script's
   * check) and one byte per key, "1" where a copied generation of the horizon has all its bits.
   * `undefined` when claims must test in Redis. `strict` (always in a group that logs, which never
   * tests in Redis): a failed read throws (a CacheUnavailableError when Redis is unreachable), and
   * is tried at once rather than a minute later.
   */
  public async flags(
    keys: readonly BloomDigestSource[],
    { strict = this.#log }: { strict?: boolean } = {},
  ): Promise<Buffer | undefined> {
    if (this.#offReason !== undefined && strict)
      throw new ConfigurationError(`Bloom copies are off: ${this.#offReason}.`);
    if (this.#offReason !== undefined) return undefined;
    const now = this.#now();
    const age = this.#read === undefined ? Number.POSITIVE_INFINITY : now - this.#read.sentAt;
    if ((age > this.#maxAgeMs || this.#maxAgeMs === 0) && (now >= this.#retryAt || strict)) {
      try {
        await this.#refresh();
      } catch (error) {
        if (strict) throw error;
        // A client without Buffer replies (a custom RespClient): test in Redis from now on.
        if (error instanceof ConfigurationError) this.#offReason = error.message;
        // Any other failure (a read slower than the cache timeout, a blip): this claim tests in
        // Redis, or on the copies already held (the claim script still checks their age), and
        // the read is tried again a minute later, not before every claim.
        else this.#retryAt = this.#now() + RETRY_READ_MS;
      }
    }
    if (this.#offReason !== undefined || this.#read === undefined) return undefined;
    const bitmaps = this.#horizon();
    const { blocks, k } = this.#params;
    const head = `F${this.#read!.redisMs} ${this.#safeAgeMs} `;
    const out = Buffer.allocUnsafe(head.length + keys.length);
    const o = out.write(head, 0, 'latin1');
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const d = key.slab ?? key.digest;
      const at = key.slab === undefined ? 0 : (key.at ?? 0);
      const offset = blockAt(d, at, blocks) * 4;
      const mask = maskAt(d, at, k);
      let seen = false;
      for (let g = 0; g < bitmaps.length && !seen; g++) {
        const bitmap = bitmaps[g]!;
        // A bitmap ends after its last byte set: the words beyond read as zeros, as in BITFIELD.
        seen = offset + 4 <= bitmap.length && (bitmap.readInt32BE(offset) & mask) === mask;
      }
      out[o + i] = seen ? 0x31 : 0x30;
    }
    return out;
  }

  /** The copies of the generations the claim script would test now, oldest dropped. */
  #horizon(): Buffer[] {
    const read = this.#read!;
    // The generation now, from Redis's time into it at the read and this clock's time since.
    const { generationMs } = this.#params;
    const msInto = read.redisMs - read.generation * generationMs;
    // Counted from when the reply arrived: Redis read its time before that, so the estimate can
    // only lag, and a late estimate keeps a generation the script has dropped (a wider horizon),
    // never drops one it still tests.
    const current = read.generation + Math.floor((msInto + this.#now() - read.receivedAt) / generationMs);
    const bitmaps: Buffer[] = [];
    for (const [generation, copy] of this.#copies) {
      if (generation <= current - this.#params.generations) {
        this.#copies.delete(generation);
        continue;
      }
      if (copy.bitmap !== null) bitmaps.push(copy.bitmap);
      if (copy.logBits !== null) bitmaps.push(copy.logBits);
    }
    return bitmaps;
  }

  async #refresh(): Promise<void> {
    const held = [...this.#copies].filter(([, copy]) => copy.final).map(([generation]) => generation);
    const folded = [...this.#copies].filter(([, copy]) => !copy.final && copy.logBytes > 0);
    const sentAt = this.#now();
    const reply = (await this.#runner.runBinary!(
      scripts.snapshot,
      [this.#baseKey],
      [
        String(this.#params.generationMs),
        String(this.#params.generations),
        held.join(','),
        String(this.#params.blocks * 4),
        folded.map(([generation, copy]) => `${generation}:${copy.logBytes}`).join(','),
      ],
    )) as unknown[];
    const receivedAt = this.#now();
    const generation = Number(reply[0]);
    const redisMs = Number(reply[1]);
    if (!Number.isSafeInteger(generation) || !Number.isSafeInteger(redisMs) || reply.length % 5 !== 2)
      throw new TypeError(`snapshot returned ${String(reply).slice(0, 80)}`);
    const toFold: [number, Copy][] = [];
    for (let r = 2; r < reply.length; r += 5) {
      const [bitmap, from, log] = [reply[r + 1], Number(reply[r + 2]), reply[r + 3]];
      // A client that decodes replies to strings would make every copy look empty: no copies then.
      if (!Buffer.isBuffer(bitmap) || !Buffer.isBuffer(log))
        throw new ConfigurationError(
          'The cache client returned a bitmap as text, not bytes: Bloom copies are off.',
        );
      const g = Number(reply[r]);
      // The log goes on from where this copy's bits end, or from 0 (a first read, or a log that
      // expired and was written again): then the bits are folded afresh.
      // Folding is an OR, so two refreshes that fold the same tail (concurrent claims) agree.
      let logBits = from > 0 ? (this.#copies.get(g)?.logBits ?? null) : null;
      if (from > 0 && logBits === null)
        throw new TypeError(
          `snapshot returned generation ${g}'s log from byte ${from}, which this copy lacks`,
        );
      if (log.length > 0 && logBits === null) logBits = Buffer.alloc(this.#params.blocks * 4);
      const fold = logBits === null ? { bytes: 0, skipped: 0 } : foldLog(logBits, log);
      const skipped = fold.skipped > 0 || (from > 0 && this.#copies.get(g)?.skipped === true);
      const logBytes = from + fold.bytes;
      const copy = {
        bitmap: bitmap.length > 0 ? bitmap : null,
        logBits,
        logBytes,
        skipped,
        final: g < generation,
      };
      this.#copies.set(g, copy);
      if (Number(reply[r + 4]) === 1) toFold.push([g, copy]);
    }
    this.#read = { generation, redisMs, sentAt, receivedAt };
    for (const [g, copy] of toFold) await this.#fold(g, copy);
  }

  /**
   * Writes a final generation's bits (its bitmap OR its folded log) back as its bitmap, and drops
   * its log (compact-1.lua): once per generation, by the container the snapshot script asked.
   * Best effort: a failure leaves the log, which copies still fold, and another reader is asked a
   * minute later.
   */
  async #fold(g: number, copy: Copy): Promise<void> {
    // A log with entries past this configuration's blocks (a larger one wrote them, a rolling
    // deploy) is left to a container of that size: dropping it here would lose them.
    if (copy.logBits === null || copy.skipped) return;
    const bits = Buffer.alloc(copy.logBits.length);
    copy.bitmap?.copy(bits, 0, 0, Math.min(copy.bitmap.length, bits.length));
    // OR is bytewise, so the words' byte order does not matter here.
    const into = new Uint32Array(bits.buffer, bits.byteOffset, bits.length >> 2);
    const from = new Uint32Array(copy.logBits.buffer, copy.logBits.byteOffset, copy.logBits.length >> 2);
    for (let i = 0; i < into.length; i++) into[i]! |= from[i] ?? 0;
    const { generationMs, generations } = this.#params;
    const args = [String(generationMs), String(generations), String(g), String(copy.logBytes), bits];
    await this.#runner.run(scripts.compact, [this.#baseKey], args).catch(() => undefined);
  }
}
