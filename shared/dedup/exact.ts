import { randomBytes } from 'node:crypto';
import { scripts } from '../../lua/scripts.generated.ts';
import type { LuaScript, ScriptArg, ScriptRunner } from '../cache/script-runner.ts';
import { ConfigurationError, MskGuardError } from '../errors.ts';
import { encodeBloomLog } from './bloom/log.ts';
import { BloomSnapshots, LONGEST_RUN_MS, MIN_SAFE_AGE_MS } from './bloom/snapshots.ts';
import { type DistributedBloomParams, encodeBloomSet, encodeBloomTest } from './distributed-bloom.ts';
import { ID_WIDTH, joinIds } from './ids.ts';

/** Per-key result of a claim, as the claim script reports it. */
export const ClaimStatus = {
  /** Not seen: leased to this invocation, process it. */
  New: 'N',
  /** COMPLETED within the window: a proven duplicate, withhold it. */
  Duplicate: 'D',
  /** Another invocation holds a live lease: retry it after the lease. */
  InProgress: 'I',
  /** The Bloom tier has seen it, the exact tier has not (leased in exact mode). */
  Probable: 'P',
  /**
   * Its last owner died holding the lease (expired, never completed nor released). Leased to this
   * invocation; whether it is a duplicate depends on whether the dead owner's checkpoint committed.
   */
  InDoubt: 'E',
} as const;
export type ClaimStatus = (typeof ClaimStatus)[keyof typeof ClaimStatus];

/** A key as the Redis tier knows it: its id (the hash field) and the digest its Bloom bits come from. */
export interface TierKey {
  /** 22-character base64url form of the 16-byte digest. */
  readonly id: string;
  readonly digest: Uint8Array;
  /** Optional: a buffer holding the digest at `at` (a batch's digests back to back), read in place. */
  readonly slab?: Uint8Array;
  readonly at?: number;
}

/** A key a claim answered InDoubt, with the dead owner it was taken over from. */
export interface InDoubtKey {
  readonly key: TierKey;
  readonly owner: string;
}

/** What claim hands back to complete and release: which owner leased what, and where. */
export interface ClaimTicket {
  readonly owner: string;
  readonly bucket: number;
}

/** Options of {@link RedisDedupTier}. */
export interface RedisDedupTierOptions {
  readonly runner: ScriptRunner;
  /** Base key of the consumer group, `mskguard:{group}` (hash tag = group). */
  readonly baseKey: string;
  /** Exact-tier window in ms: a COMPLETED key is recognised for at least this long. */
  readonly windowMs: number;
  /** The distributed Bloom tier; omitted = off. */
  readonly bloom?: DistributedBloomParams;
}

/** The claim script answered something other than what it returns: a version skew or a bug. */
export class UnexpectedScriptReplyError extends MskGuardError {}

/**
 * The exact tier (and the distributed Bloom tier) in Redis: one script call per step per batch.
 * claim → statuses + a ticket; after the handler: complete(ticket, released) or release(ticket).
 * Completing or releasing is O(1) in Redis, plus O(released) and the Bloom bits of completed keys.
 *
 * @example
 * ```ts
 * const tier = new RedisDedupTier({ runner, baseKey: 'mskguard:{orders}', windowMs: 3_600_000 });
 * const { statuses, ticket } = await tier.claim(keys, { leaseMs: context.getRemainingTimeInMillis() + 5000, mode: 'exact' });
 * // ... process the keys whose status is New ...
 * await tier.complete(ticket, completedKeys, releasedKeys);
 * ```
 */
export class RedisDedupTier {
  readonly #runner: ScriptRunner;
  readonly #base: string;
  readonly #windowMs: number;
  readonly #bloom: DistributedBloomParams | undefined;
  readonly #snapshots: BloomSnapshots | undefined;
  /** Completes append to the generation's log instead of setting bits (decision 0022). */
  readonly #log: boolean;

  public constructor(options: RedisDedupTierOptions) {
    if (!Number.isInteger(options.windowMs) || options.windowMs < 1000) {
      throw new ConfigurationError(`windowMs must be a whole number of ms >= 1000, got ${options.windowMs}`);
    }
    this.#runner = options.runner;
    this.#base = options.baseKey;
    this.#windowMs = options.windowMs;
    this.#bloom = options.bloom;
    this.#log = false;
    if (options.bloom && options.bloom.copies !== false) {
      const { refreshMs, maxBytes, log } = options.bloom.copies ?? {};
      const safe = options.windowMs - LONGEST_RUN_MS;
      if (refreshMs !== undefined && safe < MIN_SAFE_AGE_MS)
        throw new ConfigurationError(
          `bloom copies need a window of at least 17 min (${LONGEST_RUN_MS + MIN_SAFE_AGE_MS} ms), got ${options.windowMs}: ` +
            'drop copies.refreshMs (claims then test in Redis) or set copies: false.',
        );
      if (refreshMs !== undefined && !(Number.isInteger(refreshMs) && refreshMs >= 0 && refreshMs <= safe)) {
        throw new ConfigurationError(
          `bloom copies: refreshMs must be a whole number of ms from 0 to the dedup window less 16 min (${safe}), ` +
            `got ${refreshMs}: a key the exact tier forgot must have been completed before the copy was read.`,
        );
      }
      this.#snapshots = new BloomSnapshots(options.runner, options.baseKey, options.bloom, {
        safeAgeMs: safe,
        maxAgeMs: refreshMs ?? safe,
        ...(maxBytes === undefined ? {} : { maxBytes }),
        log: log === true,
      });
      const off = this.#snapshots.offReason;
      if (log === true && off !== undefined)
        throw new ConfigurationError(
          `bloom copies.log needs every claim tested against copies, and here ${off}: drop copies.log.`,
        );
      this.#log = log === true;
    }
  }

  /** Claims every key in one round trip; ids must be unique within the call. */
  public async claim(
    keys: readonly TierKey[],
    options: { leaseMs: number; mode: 'exact' | 'probabilistic'; owner?: string },
  ): Promise<{
    statuses: ClaimStatus[];
    ticket: ClaimTicket;
    /** Keys claimed InDoubt, with their position in `keys` and the dead owner. */
    inDoubt: { key: TierKey; index: number; owner: string }[];
    /** Keys InProgress, with their position in `keys` and the ms until the other owner's lease ends (Redis time). */
    waits: { index: number; ms: number }[];
  }> {
    const owner = options.owner ?? newOwner();
    const leaseMs = Math.ceil(options.leaseMs);
    if (leaseMs > this.#windowMs) {
      throw new ConfigurationError(
        `The lease (${leaseMs} ms) is longer than the dedup window (${this.#windowMs} ms): a live lease could ` +
          'be forgotten. Raise the window above the function timeout.',
      );
    }
    const bloom = this.#bloom;
    const args = (bloomTest: ScriptArg): ScriptArg[] => [
      owner,
      String(Math.max(1, leaseMs)),
      String(this.#windowMs),
      String(ID_WIDTH),
      joinIds(keys),
      options.mode,
      String(bloom?.generationMs ?? 0),
      String(bloom?.generations ?? 0),
      bloomTest,
    ];
    const snapshots = this.#snapshots;
    /** Claims with copies read now: a read that fails fails the claim with its own error. */
    const withFreshCopies = async (copies: BloomSnapshots) => {
      copies.invalidate();
      return this.#claimRun(args((await copies.flags(keys, { strict: true }))!));
    };
    const flags = bloom && (await snapshots?.flags(keys));
    let reply = await this.#claimRun(args(flags || (bloom ? encodeBloomTest(keys, bloom) : '')));
    // Nothing was written in either case below. Stale: Redis's clock says the copies are too old
    // (this container's clock stood still, a frozen Lambda); test in the script this time and read
    // the copies next time, unless the group logs. Logged: the script refused to test a generation
    // with a log (decision 0022), so only copies can.
    if (bloom && isStale(reply) && !this.#log) {
      snapshots?.invalidate();
      reply = await this.#claimRun(args(encodeBloomTest(keys, bloom)));
    }
    if (bloom && snapshots?.active && (isStale(reply) || reply instanceof LoggedGroup))
      reply = await withFreshCopies(snapshots);
    if (reply instanceof LoggedGroup) throw reply.error;
    if (
      !Array.isArray(reply) ||
      isStale(reply) ||
      typeof reply[0] !== 'string' ||
      reply[0].length !== keys.length
    ) {
      throw new UnexpectedScriptReplyError(`claim returned ${JSON.stringify(reply)?.slice(0, 200)}`);
    }
    const inDoubt = (Array.isArray(reply[2]) ? (reply[2] as string[]) : []).map((entry) => {
      const colon = entry.indexOf(':');
      const index = Number(entry.slice(0, colon)) - 1;
      return { key: keys[index] as TierKey, index, owner: entry.slice(colon + 1) };
    });
    const waits = (Array.isArray(reply[3]) ? (reply[3] as string[]) : []).map((entry) => {
      const colon = entry.indexOf(':');
      return { index: Number(entry.slice(0, colon)) - 1, ms: Number(entry.slice(colon + 1)) };
    });
    const text = reply[0];
    const statuses = new Array<ClaimStatus>(text.length);
    for (let i = 0; i < text.length; i++) statuses[i] = text[i] as ClaimStatus;
    return { statuses, ticket: { owner, bucket: Number(reply[1]) }, inDoubt, waits };
  }

  /**
   * Marks every key the ticket still holds COMPLETED, after releasing `released` (keys leased but
   * not processed). Sets the Bloom bits of `completed`. One round trip.
   * @returns whether the owner was marked; false when its leases were already gone.
   */
  public async complete(
    ticket: ClaimTicket,
    completed: readonly TierKey[],
    released: readonly TierKey[] = [],
  ): Promise<{ completed: boolean; released: number }> {
    const bloom = this.#bloom;
    const reply = (await this.#run(scripts.complete, [
      ticket.owner,
      String(ticket.bucket),
      String(this.#windowMs),
      String(ID_WIDTH),
      joinIds(released),
      String(bloom?.generationMs ?? 0),
      String(bloom?.generations ?? 0),
      bloom && completed.length > 0 && !this.#log ? encodeBloomSet(completed, bloom) : '',
      bloom && completed.length > 0 && this.#log ? encodeBloomLog(completed, bloom) : '',
    ])) as [number | string, number | string];
    return { completed: Number(reply[0]) === 1, released: Number(reply[1]) };
  }

  /**
   * Releases every lease of the ticket (the handler failed). One round trip, O(1) in Redis. For a
   * claim whose reply was lost, pass the buckets it may have written to ({@link bucketsAround}).
   */
  public async release(
    ticket: ClaimTicket | { owner: string; buckets: readonly number[] },
  ): Promise<boolean> {
    const buckets = 'bucket' in ticket ? [ticket.bucket] : ticket.buckets;
    return Number(await this.#run(scripts.release, [ticket.owner, ...buckets.map(String)])) === 1;
  }

  /**
   * Hands keys in doubt back to the dead owners the claim named (handback-1.lua), for a claim given
   * back before its doubts were settled: a release alone would make them new. One round trip.
   * @returns how many keys were handed back.
   */
  public async handBack(ticket: ClaimTicket, doubts: readonly InDoubtKey[]): Promise<number> {
    if (doubts.length === 0) return 0;
    const ids = joinIds(doubts.map((d) => d.key));
    const owners = doubts.map((d) => d.owner).join(' ');
    const args = [ticket.owner, String(ticket.bucket), String(ID_WIDTH), ids, owners];
    return Number(await this.#run(scripts.handback, args));
  }

  /**
   * The buckets a claim sent at `atMs` (this machine's clock) may have written to: Redis's bucket
   * is within one of this clock's, since a window (at least 15 min) dwarfs any clock drift.
   */
  public bucketsAround(atMs: number): number[] {
    const bucket = Math.floor(atMs / this.#windowMs);
    return [bucket - 1, bucket, bucket + 1];
  }

  #run(script: LuaScript, args: ScriptArg[]): Promise<unknown> {
    return this.#runner.run(script, [this.#base], args);
  }

  /** The claim script; its refusal to test a generation with a log comes back as a {@link LoggedGroup}. */
  async #claimRun(args: ScriptArg[]): Promise<unknown> {
    try {
      return await this.#run(scripts.claim, args);
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      const at = message.indexOf('MSKGUARD_BLOOM_LOG ');
      if (at < 0) throw error;
      // Upstash's errors append the whole command (every id of the batch): keep the script's words.
      const words = message.slice(at + 19).split(', command was:')[0];
      return new LoggedGroup(new ConfigurationError(`${words}.`, { cause: error }));
    }
  }
}

/** The claim script refused to test a generation with a log (claim-1.lua): nothing was written. */
class LoggedGroup {
  public constructor(public readonly error: ConfigurationError) {}
}

/** The claim script's answer to flags from copies older than it accepts (claim-1.lua). */
function isStale(reply: unknown): boolean {
  return Array.isArray(reply) && reply.length === 1 && reply[0] === 'stale';
}

/** A new lease owner id: one per invocation (12 random bytes, base64url, never containing '#'). */
export function newOwner(): string {
  return randomBytes(12).toString('base64url');
}
