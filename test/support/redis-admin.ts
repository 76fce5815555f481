import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis as IORedis } from 'ioredis';
import { clusterAdmin } from './cluster.ts';
import { TEST_REDIS } from './runners.ts';
import { stackEnv } from './stack.ts';

/**
 * A client on the Redis an adapter of `ADAPTERS` writes to: the cluster for 'resp' when the suites
 * run against it (MSKGUARD_TEST_REDIS=cluster), else the stack's single Redis. Disconnect it.
 */
export function adminFor(adapter: 'resp' | 'upstash'): IORedis | Cluster {
  return adapter === 'resp' && TEST_REDIS === 'cluster' ? clusterAdmin() : new IORedis(stackEnv().REDIS_URL);
}

/**
 * Deletes a consumer group's dedup keys, as a Redis that lost its data would have them gone:
 * `part` '*' for everything, 'x' for the exact tier's buckets only. Every shard's keys
 * (`mskguard:{group}:…` and `mskguard:{group|sK}:…`), on the stack's Redis and, when the suites run
 * against the cluster (REDIS_CLUSTER_NODES set), on each of its primaries.
 * @returns the number of keys deleted
 */
export async function forgetGroupKeys(group: string, part: '*' | 'x' = '*'): Promise<number> {
  const pattern = `mskguard:{${group}[}|]*${part === 'x' ? ':x:*' : ''}`;
  let deleted = 0;
  const single = new IORedis(stackEnv().REDIS_URL);
  try {
    deleted += await deleteMatching(single, pattern);
  } finally {
    single.disconnect();
  }
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) return deleted;
  const cluster = new Cluster(
    nodes.split(',').map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) })),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      cluster.once('ready', () => resolve());
      cluster.once('error', reject);
    });
    for (const node of cluster.nodes('master')) deleted += await deleteMatching(node, pattern);
  } finally {
    cluster.disconnect();
  }
  return deleted;
}

/** Deletes the keys matching `pattern` on one node, one key per command (they may span slots). */
async function deleteMatching(node: IORedis, pattern: string): Promise<number> {
  let deleted = 0;
  for (const key of await node.keys(pattern)) deleted += await node.del(key);
  return deleted;
}

/**
 * Whether a field of an exact-tier bucket hash is a key id, not bookkeeping: owner states
 * (`#<token>`), owner → token (`@<owner>`), token → owner (`~<token>`), the token counter (`!`).
 */
export function isKeyField(field: string): boolean {
  return !/^[#@~!?]/.test(field);
}

/** Redis's clock in ms: buckets and Bloom generations follow it, not this process's clock. */
export async function redisNowMs(): Promise<number> {
  const admin = new IORedis(stackEnv().REDIS_URL);
  const [s, us] = await admin.time();
  admin.disconnect();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Waits, if need be, until Redis's clock is at least `marginMs` before the end of a bucket. */
export async function clearOfBucketEnd(windowMs: number, marginMs: number): Promise<void> {
  const into = (await redisNowMs()) % windowMs;
  if (into > windowMs - marginMs) await sleep(windowMs - into + 20);
}

/**
 * The keys matching `pattern` wherever they live: on every primary of a cluster (a keyless KEYS
 * sent through a Cluster client reaches one node only), or on the single Redis.
 */
export async function keysMatching(admin: IORedis | Cluster, pattern: string): Promise<string[]> {
  if (!(admin instanceof Cluster)) return admin.keys(pattern);
  const found = await Promise.all(admin.nodes('master').map((node) => node.keys(pattern)));
  return found.flat();
}
