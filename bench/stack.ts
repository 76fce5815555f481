import { Redis } from 'ioredis';
import { runningStackEndpoints, type ServiceName, stackDown, stackUp } from '#local/stack.ts';
import type { StackEndpoints } from '#local/stack-config.ts';
import type { BenchContext } from './main.ts';

/**
 * The local stack's endpoints for a benchmark: the running stack (left running), or one started
 * now and stopped by `stop()`. `needs` names the services the benchmark uses; only those are
 * started (a JVM warming up beside a Redis benchmark would take CPU from it on a 2-core machine).
 * `'redis-cluster'` among them brings the Redis Cluster up (REDIS_CLUSTER_NODES in `env`).
 */
export async function benchStack(
  ctx: BenchContext,
  needs?: readonly ServiceName[],
): Promise<{ env: StackEndpoints; stop: () => Promise<void> }> {
  const running = runningStackEndpoints(undefined, needs);
  if (running) return { env: running, stop: async () => {} };
  ctx.log(`[bench] starting the local stack${needs ? ` (${needs.join(', ')})` : ''}`);
  const { endpoints: env, started } = await stackUp({ log: ctx.log, ...(needs ? { only: needs } : {}) });
  // Stop what this run started, not services that were up before it.
  return { env, stop: async () => void (await stackDown({ log: ctx.log, only: started })) };
}

/**
 * Deletes a run's Redis keys (every key matching `pattern`, e.g. `*bench-e2e-<run id>*`) and returns
 * how many: a run writes hundreds of thousands (Powertools one per record, mskguard's buckets) that
 * would otherwise hold the shared Redis's memory for the hour of their TTL.
 */
export async function deleteBenchKeys(url: string, pattern: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * {@link deleteBenchKeys} on every node of a Redis Cluster (`nodes`: REDIS_CLUSTER_NODES,
 * `host:port,…`): each node is scanned for its own keys, and each key unlinked on its own (one
 * UNLINK of keys of several slots would be refused with CROSSSLOT).
 */
export async function deleteClusterBenchKeys(nodes: string, pattern: string): Promise<number> {
  let deleted = 0;
  for (const node of nodes.split(',')) {
    const redis = new Redis(`redis://${node}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
        cursor = next;
        const pipeline = redis.pipeline();
        for (const key of keys) pipeline.unlink(key);
        for (const [error, n] of (await pipeline.exec()) ?? []) if (!error) deleted += Number(n);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
  return deleted;
}

/** {@link deleteBenchKeys}, logging the outcome instead of failing the run. */
export function cleanUpBenchKeys(
  ctx: BenchContext,
  name: string,
  url: string,
  pattern: string,
): Promise<void> {
  return deleteBenchKeys(url, pattern).then(
    (n) => ctx.log(`${name}: deleted the run's ${n} Redis keys`),
    (error: Error) => ctx.log(`${name}: could not delete the run's Redis keys: ${error.message}`),
  );
}
