import type { ScriptRunner } from '../cache/script-runner.ts';
import { ConfigurationError } from '../errors.ts';
import { DEFAULT_SNAPSHOT_MAX_BYTES } from './bloom/snapshots.ts';
import type { DistributedBloomParams } from './distributed-bloom.ts';
import {
  type ClaimStatus,
  type ClaimTicket,
  type InDoubtKey,
  newOwner,
  RedisDedupTier,
  type TierKey,
} from './exact.ts';

/** Most shards a group may spread over: far more than a cluster's primaries need. */
export const MAX_CACHE_SHARDS = 64;

/**
 * What a claim hands to complete and release: the owner, and per shard the bucket its claim wrote
 * to (`undefined` for a shard the batch had no key in: nothing to complete or release there).
 */
export interface DedupTicket {
  readonly owner: string;
  readonly buckets: readonly (number | undefined)[];
}

/** A claim whose reply was lost: its owner, and the buckets it may have written to on every shard. */
export interface LostClaim {
  readonly owner: string;
  readonly around: readonly number[];
}

/** What a claim answers, aligned with the keys claimed. */
export interface DedupClaim {
  readonly statuses: ClaimStatus[];
  readonly ticket: DedupTicket;
  /** Keys claimed InDoubt, with their position in the keys claimed and the dead owner. */
  readonly inDoubt: { key: TierKey; index: number; owner: string }[];
  /** Keys InProgress, with their position and the ms until the other owner's lease ends (Redis time). */
  readonly waits: { index: number; ms: number }[];
}

/** Options of {@link ShardedDedupTier}. */
export interface ShardedDedupTierOptions {
  readonly runner: ScriptRunner;
  /** The group's base key, `mskguard:{group}`: shard k uses `mskguard:{group|sk}` when shards > 1. */
  readonly baseKey: string;
  readonly windowMs: number;
  /** The distributed Bloom tier for the whole group (each shard gets its share of the blocks). */
  readonly bloom?: DistributedBloomParams;
  /** @default 1 */
  readonly shards?: number;
}

/**
 * The group's exact tier (and distributed Bloom tier) spread over N Redis hash tags, so that a
 * large group can use every primary of a cluster instead of one slot (decision 0015).
 *
 * A key's shard is fixed by its digest; each shard is a complete {@link RedisDedupTier} of its own,
 * with its own buckets and owner states. A batch sends one script per shard it has keys in, all at
 * once: the wall time stays one round trip, and every key is still decided by one script in one
 * place, so G1–G6 hold per key exactly as with one shard. One owner id covers all shards.
 *
 * With one shard (the default) the keys are those of an unsharded group, `mskguard:{group}:…`.
 * Changing the number of shards moves every key: see decision 0015 for what that forgets.
 */
export class ShardedDedupTier {
  readonly #shards: readonly RedisDedupTier[];
  readonly #windowMs: number;

  public constructor(options: ShardedDedupTierOptions) {
    const n = options.shards ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > MAX_CACHE_SHARDS) {
      throw new ConfigurationError(`cacheShards must be an integer from 1 to ${MAX_CACHE_SHARDS}, got ${n}`);
    }
    const { runner, windowMs, bloom } = options;
    const shardBloom = bloom && shardBloomParams(bloom, n);
    this.#windowMs = windowMs;
    this.#shards = Array.from(
      { length: n },
      (_, k) =>
        new RedisDedupTier({
          runner,
          baseKey: shardBaseKey(options.baseKey, k, n),
          windowMs,
          ...(shardBloom ? { bloom: shardBloom } : {}),
        }),
    );
  }

  /** Number of shards. */
  public get shards(): number {
    return this.#shards.length;
  }

  /**
   * Claims every key: one script per shard holding some of them, in parallel. When any shard
   * fails the whole claim fails (the caller treats its reply as lost and may claim again under the
   * same owner: a shard that did lease takes its keys again).
   */
  public async claim(
    keys: readonly TierKey[],
    options: { leaseMs: number; mode: 'exact' | 'probabilistic'; owner?: string },
  ): Promise<DedupClaim> {
    const owner = options.owner ?? newOwner();
    const shards = this.#shards;
    if (shards.length === 1) {
      const one = await (shards[0] as RedisDedupTier).claim(keys, { ...options, owner });
      return { ...one, ticket: { owner, buckets: [one.ticket.bucket] } };
    }
    const groups = this.#split(keys);
    const replies = await Promise.all(
      groups.map((g, k) =>
        g.keys.length === 0 ? undefined : (shards[k] as RedisDedupTier).claim(g.keys, { ...options, owner }),
      ),
    );
    const statuses = new Array<ClaimStatus>(keys.length);
    const inDoubt: DedupClaim['inDoubt'] = [];
    const waits: DedupClaim['waits'] = [];
    const buckets = replies.map((r) => r?.ticket.bucket);
    replies.forEach((reply, k) => {
      if (!reply) return;
      const at = (groups[k] as ShardKeys).indexes;
      for (let j = 0; j < at.length; j++) statuses[at[j] as number] = reply.statuses[j] as ClaimStatus;
      for (const d of reply.inDoubt) inDoubt.push({ ...d, index: at[d.index] as number });
      for (const w of reply.waits) waits.push({ index: at[w.index] as number, ms: w.ms });
    });
    return { statuses, ticket: { owner, buckets }, inDoubt, waits };
  }

  /**
   * Completes the ticket on every shard it claimed on (releasing `released` first), in parallel.
   * @returns whether every shard marked the owner, and how many leases were released.
   */
  public async complete(
    ticket: DedupTicket,
    completed: readonly TierKey[],
    released: readonly TierKey[] = [],
  ): Promise<{ completed: boolean; released: number }> {
    const done = this.#split(completed);
    const freed = this.#split(released);
    const replies = await Promise.all(
      this.#shards.map((shard, k) => {
        const bucket = ticket.buckets[k];
        if (bucket === undefined) return undefined;
        const one: ClaimTicket = { owner: ticket.owner, bucket };
        return shard.complete(one, (done[k] as ShardKeys).keys, (freed[k] as ShardKeys).keys);
      }),
    );
    let all = true;
    let count = 0;
    for (const r of replies) {
      if (!r) continue;
      all &&= r.completed;
      count += r.released;
    }
    return { completed: all, released: count };
  }

  /** Releases every lease of the ticket (or of a lost claim) on every shard, in parallel. */
  public async release(ticket: DedupTicket | LostClaim): Promise<boolean> {
    const replies = await Promise.all(
      this.#shards.map((shard, k) => {
        if ('around' in ticket) return shard.release({ owner: ticket.owner, buckets: ticket.around });
        const bucket = ticket.buckets[k];
        return bucket === undefined ? false : shard.release({ owner: ticket.owner, bucket });
      }),
    );
    return replies.some(Boolean);
  }

  /** Hands keys in doubt back to their dead owners (RedisDedupTier.handBack), per shard, in parallel. */
  public async handBack(ticket: DedupTicket, doubts: readonly InDoubtKey[]): Promise<number> {
    const perShard = this.#shards.map((): InDoubtKey[] => []);
    for (const doubt of doubts) perShard[this.shardIndex(doubt.key)]?.push(doubt);
    const counts = await Promise.all(
      this.#shards.map((shard, k) => {
        const bucket = ticket.buckets[k];
        const mine = perShard[k] ?? [];
        return bucket === undefined || mine.length === 0
          ? 0
          : shard.handBack({ owner: ticket.owner, bucket }, mine);
      }),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** The buckets a claim sent at `atMs` (this machine's clock) may have written to, on any shard. */
  public bucketsAround(atMs: number): number[] {
    const bucket = Math.floor(atMs / this.#windowMs);
    return [bucket - 1, bucket, bucket + 1];
  }

  /**
   * The part of `later` that a window boundary moved off `first`: a ticket naming only the shards
   * where `later` wrote to another bucket than `first` (a ticket names one bucket per shard), or
   * `undefined` when none did. Shards pass the boundary one by one: their scripts run apart.
   */
  public movedOff(first: DedupTicket, later: DedupTicket): DedupTicket | undefined {
    const buckets = later.buckets.map((b, k) => (b === undefined || b === first.buckets[k] ? undefined : b));
    return buckets.some((b) => b !== undefined) ? { owner: later.owner, buckets } : undefined;
  }

  /** The shard a key lives on. */
  public shardIndex(key: TierKey): number {
    return this.#shards.length === 1 ? 0 : shardOf(key, this.#shards.length);
  }

  /** The keys of each shard, with their positions in `keys`. */
  #split(keys: readonly TierKey[]): ShardKeys[] {
    const n = this.#shards.length;
    const groups: ShardKeys[] = Array.from({ length: n }, () => ({ keys: [], indexes: [] }));
    if (n === 1) {
      const only = groups[0] as ShardKeys;
      only.keys.push(...keys);
      return groups;
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as TierKey;
      const g = groups[shardOf(key, n)] as ShardKeys;
      g.keys.push(key);
      g.indexes.push(i);
    }
    return groups;
  }
}

interface ShardKeys {
  readonly keys: TierKey[];
  readonly indexes: number[];
}

/**
 * A shard's Bloom parameters: each shard holds about 1/n of the keys, so its bitmap is 1/n of the
 * group's (same bits per key, at least 64 blocks), and its copies get 1/n of the container's
 * budget for them (decision 0020). mskGuard checks the copies' size with these at creation.
 */
export function shardBloomParams(bloom: DistributedBloomParams, n: number): DistributedBloomParams {
  if (n <= 1) return bloom;
  const copies = bloom.copies;
  return {
    ...bloom,
    blocks: Math.max(64, Math.ceil(bloom.blocks / n)),
    ...(copies === false
      ? {}
      : {
          copies: { ...copies, maxBytes: Math.floor((copies?.maxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES) / n) },
        }),
  };
}

/**
 * The base key of shard `k` of `n`: the group's own base key when unsharded, else the group's
 * hash tag with `|s<k>` inside it, so each shard has its own Cluster slot. `|` cannot appear in a
 * consumer group id (keys/namespace.ts), so no shard's keys can be another group's.
 */
export function shardBaseKey(baseKey: string, k: number, n: number): string {
  if (n === 1) return baseKey;
  const close = baseKey.lastIndexOf('}');
  if (close < 0 || !baseKey.includes('{')) {
    throw new ConfigurationError(`The base key ${baseKey} has no hash tag {…} to shard`);
  }
  return `${baseKey.slice(0, close)}|s${k}${baseKey.slice(close)}`;
}

/**
 * The shard of a key: the high bits of its digest's first word (the digest is SHA-256, uniform).
 * High bits, not a modulo, because the Bloom block comes from the same word's value modulo the
 * shard's block count: a modulo here would pin each shard's keys to a fraction of its blocks.
 */
export function shardOf(key: TierKey, n: number): number {
  const d = key.slab ?? key.digest;
  const at = key.slab ? (key.at as number) : 0;
  const word =
    ((d[at] as number) |
      ((d[at + 1] as number) << 8) |
      ((d[at + 2] as number) << 16) |
      ((d[at + 3] as number) << 24)) >>>
    0;
  return Math.floor((word / 2 ** 32) * n);
}
