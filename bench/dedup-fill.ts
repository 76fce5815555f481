/**
 * Steady state for the dedup bench: a group's buckets filled as a group that has run at a given rate
 * for longer than its window has them, and the Redis counters the bench reads around a timed batch
 * (memory, script time).
 *
 * The buckets are filled by the claim and complete scripts themselves (RedisDedupTier, 10,000 random
 * ids per claim, one owner per claim, several claims in flight), so they hold exactly what those
 * scripts write, whatever their format. The previous bucket is filled as the current one and then
 * renamed (same hash tag, so also on a Cluster); the current one is filled after it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StackEndpoints } from '#local/stack-config.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import type { LuaScript, ScriptRunner } from '#shared/cache/script-runner.ts';
import { RedisDedupTier, type TierKey } from '#shared/dedup/exact.ts';
import { shardBaseKey } from '#shared/dedup/sharded.ts';
import { createKeyNamespace } from '#shared/keys/index.ts';

/** Ids per fill claim: a full Lambda batch. */
const FILL_BATCH = 10_000;
/** Fill claims in flight at once: Redis runs them one after the other, the client prepares the next. */
const FILL_IN_FLIGHT = 4;

const RENAME_BUCKET: LuaScript = (() => {
  const source = `-- bench: moves a group's bucket to another bucket number (same hash tag)
redis.call('RENAME', KEYS[1] .. ':x:' .. ARGV[1], KEYS[1] .. ':x:' .. ARGV[2])
return 1`;
  return { name: 'bench-rename-bucket', numberOfKeys: 1, source, sha1: sha1(source) };
})();

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** How many keys a group's two buckets hold at steady state, at `rate` keys/s for a window of `windowMs`. */
export function steadyStateKeys(rate: number, windowMs: number): { previous: number; current: number } {
  const previous = Math.round((rate * windowMs) / 1000);
  return { previous, current: Math.round(previous / 2) };
}

/**
 * Fills the group's previous bucket with `previous` keys (all COMPLETED) and its current one with
 * `current`, spread evenly over its `shards` hash tags (`cacheShards`). Throws when the window of
 * Redis time turns during the fill (the buckets would not be the ones the bench means): run again.
 */
export async function fillSteadyState(
  runner: ScriptRunner,
  baseKey: string,
  shards: number,
  keys: { previous: number; current: number },
  windowMs: number,
): Promise<void> {
  for (let k = 0; k < shards; k++) {
    const tier = new RedisDedupTier({ runner, baseKey: shardBaseKey(baseKey, k, shards), windowMs });
    const bucket = await fillBucket(tier, Math.round(keys.previous / shards), undefined);
    if (bucket !== undefined) {
      await runner.run(
        RENAME_BUCKET,
        [shardBaseKey(baseKey, k, shards)],
        [String(bucket), String(bucket - 1)],
      );
    }
    const now = await fillBucket(tier, Math.round(keys.current / shards), bucket);
    if (bucket !== undefined && now !== undefined && now !== bucket) throw windowTurned();
  }
}

function windowTurned(): Error {
  return new Error('The dedup window (an hour of Redis time) turned during the fill: run the bench again');
}

/** Claims and completes `count` random keys in the current bucket; answers that bucket. */
async function fillBucket(tier: RedisDedupTier, count: number, expected: number | undefined) {
  let bucket = expected;
  let left = count;
  const one = async (n: number): Promise<void> => {
    const keys = randomKeys(n);
    const { ticket } = await tier.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await tier.complete(ticket, []);
    if (bucket === undefined) bucket = ticket.bucket;
    else if (ticket.bucket !== bucket) throw windowTurned();
  };
  const workers = Array.from({ length: FILL_IN_FLIGHT }, async () => {
    while (left > 0) {
      const n = Math.min(FILL_BATCH, left);
      left -= n;
      await one(n);
    }
  });
  await Promise.all(workers);
  return bucket;
}

/** `n` random keys in one slab, as the middleware hands them to the tier. */
function randomKeys(n: number): TierKey[] {
  const slab = randomBytes(16 * n);
  const keys = new Array<TierKey>(n);
  for (let i = 0; i < n; i++)
    keys[i] = { id: '', digest: slab.subarray(16 * i, 16 * i + 16), slab, at: 16 * i };
  return keys;
}

/** What a row's group holds before its first batch: nothing, a previous bucket, or the steady state. */
export interface GroupFill {
  readonly previousKeys: number;
  /** Both buckets filled by the scripts; overrides `previousKeys`. */
  readonly steady?: { readonly previous: number; readonly current: number };
}

/** Clients on every Redis node a row writes to, for INFO: the single Redis, or each cluster primary. */
export class RedisCounters {
  readonly #nodes: Redis[];

  public constructor(urls: readonly string[]) {
    this.#nodes = urls.map((url) => new Redis(url, { maxRetriesPerRequest: 1 }));
  }

  /**
   * Waits until no node is freeing unlinked keys in the background (lazyfree_pending_objects 0):
   * an earlier run's cleanup would otherwise shrink used_memory during the fill.
   */
  public async settle(timeoutMs = 120_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (const node of this.#nodes) {
      while (infoField(await node.info('memory'), 'lazyfree_pending_objects') > 0 && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** `used_memory` summed over the nodes, in bytes. */
  public async usedMemory(): Promise<number> {
    let sum = 0;
    for (const node of this.#nodes) sum += infoField(await node.info('memory'), 'used_memory');
    return sum;
  }

  /** Script time so far (EVAL and EVALSHA, `usec` of INFO commandstats) summed over the nodes, in ms. */
  public async scriptMs(): Promise<number> {
    let usec = 0;
    for (const node of this.#nodes) {
      const stats = await node.info('commandstats');
      for (const command of ['eval', 'evalsha']) {
        const line = new RegExp(`^cmdstat_${command}:.*\\busec=(\\d+)`, 'm').exec(stats);
        if (line) usec += Number(line[1]);
      }
    }
    return usec / 1000;
  }

  public close(): void {
    for (const node of this.#nodes) node.disconnect();
  }
}

function infoField(info: string, name: string): number {
  const line = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  if (!line) throw new Error(`INFO has no ${name}`);
  return Number(line[1]);
}

/** The URLs of the stack's Redis Cluster primaries (REDIS_CLUSTER_NODES). */
export function clusterNodes(env: StackEndpoints): string[] {
  if (!env.REDIS_CLUSTER_NODES) throw new Error('the stack has no Redis Cluster (REDIS_CLUSTER_NODES)');
  return env.REDIS_CLUSTER_NODES.split(',').map((node) => `redis://${node}`);
}

/**
 * Fills the row's group as `fill` asks, through a RESP runner on the Redis the row writes to (the
 * REST row's Redis is the single one); for the steady state, answers the bucket sizes and the bytes
 * per key the fill added to Redis's used_memory.
 */
export async function fillGroup(
  setup: { readonly redis?: 'cluster'; readonly extra?: { readonly cacheShards?: number } },
  env: StackEndpoints,
  group: string,
  fill: GroupFill,
  counters: RedisCounters | undefined,
  windowMs: number,
): Promise<Record<string, number> | undefined> {
  const baseKey = createKeyNamespace(group).prefix.slice(0, -1);
  const shards = setup.extra?.cacheShards ?? 1;
  if (!fill.steady && fill.previousKeys === 0) return undefined;
  const runner =
    setup.redis === 'cluster'
      ? new RespClusterScriptRunner({ nodes: clusterNodes(env) })
      : new RespScriptRunner({ url: env.REDIS_URL });
  try {
    if (!fill.steady || !counters) {
      await fillSteadyState(runner, baseKey, shards, { previous: fill.previousKeys, current: 0 }, windowMs);
      return undefined;
    }
    await counters.settle();
    const before = await counters.usedMemory();
    const start = performance.now();
    await fillSteadyState(runner, baseKey, shards, fill.steady, windowMs);
    const bytes = (await counters.usedMemory()) - before;
    const fillSeconds = Math.round((performance.now() - start) / 100) / 10;
    const keys = fill.steady.previous + fill.steady.current;
    return {
      previousBucket: fill.steady.previous,
      currentBucket: fill.steady.current,
      bytesPerKey: Math.round((bytes / keys) * 10) / 10,
      // What the Redis held before: another group's millions of fields make these lookups slower
      // (decision 0008, fifth pass), so a reader must know the node was not empty.
      otherMB: Math.round(before / 1_048_576),
      fillSeconds,
    };
  } finally {
    await runner.close();
  }
}
