import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { StackError } from '#local/errors.ts';
import { ensureRedisServer } from './installers.ts';
import { type ManagedProcess, startDetached } from './processes.ts';
import type { ServiceDefinition } from './services.ts';
import { redisClusterPorts, type StackConfig, type StackEndpoints } from './stack-config.ts';

/** Redis Cluster's slot count: every slot must have an owner before the cluster serves a key. */
export const CLUSTER_SLOTS = 16384;
/** How long the nodes may take to agree on the cluster once they answer. */
const FORM_TIMEOUT_MS = 30_000;

/** The `[first, last]` slots each of `size` nodes owns: even contiguous ranges, as redis-cli assigns them. */
export function slotRanges(size: number): [number, number][] {
  return Array.from({ length: size }, (_, i) => [
    Math.floor((i * CLUSTER_SLOTS) / size),
    Math.floor(((i + 1) * CLUSTER_SLOTS) / size) - 1,
  ]);
}

/**
 * Writes a cluster node's config in a fresh folder (the cluster state of a previous run is
 * dropped, as Kafka's data is: each `up` forms a new, empty cluster) and returns its path.
 */
export function writeClusterNodeConfig(
  dir: string,
  host: string,
  port: number,
  extra: string[] = [],
): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'redis.conf');
  const lines = [
    `bind ${host}`,
    `port ${port}`,
    'cluster-enabled yes',
    // A node learns its own address only when another meets it: a lone node would publish "" in
    // CLUSTER SLOTS, which a cluster client cannot connect to.
    `cluster-announce-ip ${host}`,
    `cluster-config-file ${join(dir, 'nodes.conf')}`,
    // A dead node is noticed in 5 s rather than 15 (nothing fails over: there are no replicas).
    'cluster-node-timeout 5000',
    `dir ${dir}`,
    // No persistence, like the stack's single Redis: a test of G1 after a loss must not find keys
    // resurrected from a dump.
    'save ""',
    'appendonly no',
    // The config path stays in the process title, so the pid check (and CI's leftover-process
    // check, which looks for the stack's state dir) recognises the node after Redis renames itself.
    'proc-title-template "{title} {listen-addr} {server-mode} {config-file}"',
    ...extra,
    '',
  ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** Starts one cluster node on its config (made by {@link writeClusterNodeConfig}). */
export function startClusterNode(
  redisServer: string,
  config: string,
  options: { name: string; log: string },
): ManagedProcess {
  return startDetached(options.name, redisServer, [config], {
    log: options.log,
    marker: ['redis-server', config],
  });
}

/** Runs `fn` on a short-lived plain connection to one node (no retries: the caller loops). */
export async function onNode<T>(host: string, port: number, fn: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  node.on('error', () => {});
  try {
    await node.connect();
    return await fn(node);
  } finally {
    node.disconnect();
  }
}

/** A node's `CLUSTER INFO` as a map (cluster_state, cluster_slots_assigned, cluster_known_nodes…). */
export async function clusterInfo(node: Redis): Promise<Record<string, string>> {
  const text = String(await node.call('CLUSTER', 'INFO'));
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((line) => line.includes(':'))
      .map((line) => line.split(':', 2) as [string, string]),
  );
}

/**
 * Makes one cluster of fresh nodes (each knows only itself and owns no slot): distinct config
 * epochs, the slots split evenly, every node introduced to the first; then waits until every node
 * reports cluster_state:ok with all slots assigned and all nodes known. A cluster that is already
 * formed is left as it is (this also runs when the nodes were already up).
 */
export async function formCluster(host: string, ports: readonly number[]): Promise<void> {
  const infos = await Promise.all(ports.map((p) => onNode(host, p, clusterInfo)));
  const fresh = infos.every((i) => i.cluster_known_nodes === '1' && i.cluster_slots_assigned === '0');
  if (fresh) {
    const ranges = slotRanges(ports.length);
    for (const [i, port] of ports.entries()) {
      const [first, last] = ranges[i] as [number, number];
      await onNode(host, port, async (node) => {
        // Distinct epochs up front: no epoch collision for the nodes to resolve after they meet.
        await node.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
        await node.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
      });
    }
    const [seed, ...others] = ports as [number, ...number[]];
    await onNode(host, seed, async (node) => {
      for (const port of others) await node.call('CLUSTER', 'MEET', host, String(port));
    });
  }
  await waitUntilFormed(host, ports);
}

async function waitUntilFormed(host: string, ports: readonly number[]): Promise<void> {
  const deadline = Date.now() + FORM_TIMEOUT_MS;
  let last: Record<string, string>[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(ports.map((p) => onNode(host, p, clusterInfo).catch(() => ({}))));
    const formed = last.every(
      (i: Record<string, string>) =>
        i.cluster_state === 'ok' &&
        i.cluster_slots_assigned === String(CLUSTER_SLOTS) &&
        i.cluster_known_nodes === String(ports.length),
    );
    if (formed) return;
    await sleep(100);
  }
  const states = last.map((i, n) => `${ports[n]}: ${i.cluster_state ?? 'no answer'}`).join(', ');
  throw new StackError(
    `The Redis Cluster on ${host}:${ports.join(',')} did not reach cluster_state:ok within ` +
      `${FORM_TIMEOUT_MS / 1000}s (${states}). Run \`npm run stack:down\`, then \`npm run stack:up -- --cluster\`.`,
  );
}

/** PINGs every node; rejects with the first that does not answer. */
async function pingAll(host: string, ports: readonly number[]): Promise<void> {
  await Promise.all(
    ports.map((port) =>
      onNode(host, port, async (node) => {
        const pong = await node.ping();
        if (pong !== 'PONG') throw new Error(`${host}:${port} answered ${pong}`);
      }),
    ),
  );
}

/**
 * The stack's Redis Cluster (opt-in: `stack up --cluster`): REDIS_CLUSTER_SIZE (3) redis-server
 * masters in cluster mode, no replicas, configs and cluster state under the state dir, all slots
 * assigned. One service of several processes: it runs while all of its nodes run.
 */
export function defineRedisCluster(config: StackConfig, endpoints: StackEndpoints): ServiceDefinition {
  const { host, paths } = config;
  let redisServer = 'redis-server';
  // Where a running cluster is (its env file, on `status`), else where this config puts it.
  const ports = () =>
    endpoints.REDIS_CLUSTER_NODES?.split(',').map((node) => Number(node.slice(node.lastIndexOf(':') + 1))) ??
    redisClusterPorts(config);
  return {
    name: 'redis-cluster',
    after: [],
    install: (say) => {
      redisServer = ensureRedisServer(say);
    },
    start: () =>
      redisClusterPorts(config).map((port) => {
        const file = writeClusterNodeConfig(join(paths.redisCluster, `node-${port}`), host, port);
        return startClusterNode(redisServer, file, {
          name: 'redis-cluster',
          log: join(paths.logs, `redis-cluster-${port}.log`),
        });
      }),
    probe: () => pingAll(host, ports()),
    ready: () => formCluster(host, ports()),
  };
}
