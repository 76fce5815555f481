// The local stack's Redis Cluster (opt-in: `stack up --cluster`), on which the sharded tier is
// tested: three masters that cover every slot, that keys with different hash tags land on different
// nodes of, and that `down` stops to the last process.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, clusterInfo, onNode } from '#local/redis-cluster.ts';
import { runningStackEndpoints, stackDown, stackStatus, stackUp } from '#local/stack.ts';
import { loadStackConfig, readEnvFile, redisClusterPorts } from '#local/stack-config.ts';
import { freePort } from '#test/support/ports.ts';

/** Command lines of the running processes that mention `text` (e.g. a state dir). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${pid} ${cmdline}`);
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}

describe('the Redis Cluster of the local stack', () => {
  const state = mkdtempSync(join(tmpdir(), 'mskguard-cluster-'));
  // A state dir and ports of its own (10 above the configured cluster's): the suite's cluster is left alone.
  const config = loadStackConfig({
    ...process.env,
    MSKGUARD_STACK_STATE: state,
    MSKGUARD_REDIS_CLUSTER_PORT: String(loadStackConfig().redisClusterPort + 10),
  });
  const ports = redisClusterPorts(config);
  afterAll(async () => {
    await stackDown({ config });
    rmSync(state, { recursive: true, force: true });
  });

  it('starts three masters that together own every slot, and publishes them', async () => {
    // Act
    const { started, endpoints } = await stackUp({ config, only: ['redis-cluster'] });

    // Assess
    expect(started).toEqual(['redis-cluster']);
    expect(endpoints.REDIS_CLUSTER_NODES).toBe(ports.map((p) => `127.0.0.1:${p}`).join(','));
    expect(runningStackEndpoints(config, ['redis-cluster'])?.REDIS_CLUSTER_NODES).toBe(
      endpoints.REDIS_CLUSTER_NODES,
    );
    for (const port of ports) {
      const info = await onNode('127.0.0.1', port, clusterInfo);
      expect(info).toMatchObject({
        cluster_state: 'ok',
        cluster_slots_assigned: String(CLUSTER_SLOTS),
        cluster_known_nodes: '3',
        cluster_size: '3',
      });
    }
    const slots = (await onNode('127.0.0.1', ports[0]!, (n) => n.call('CLUSTER', 'SLOTS'))) as [
      number,
      number,
      [string, number],
    ][];
    const owned = slots
      .map(([first, last, [, port]]) => ({ first, last, port }))
      .sort((a, b) => a.first - b.first);
    expect(owned.map((o) => o.port).sort()).toEqual(ports);
    expect(owned[0]?.first).toBe(0);
    expect(owned.at(-1)?.last).toBe(CLUSTER_SLOTS - 1);
    for (let i = 1; i < owned.length; i++) expect(owned[i]?.first).toBe(owned[i - 1]!.last + 1);
  }, 60_000);

  it('puts keys with different hash tags on different nodes', async () => {
    // Prepare: tags until one lands on each node (the slot decides, the tag decides the slot).
    const cluster = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    const tagOf = new Map<string, string>();
    for (let i = 0; tagOf.size < ports.length; i++) {
      const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', `{t${i}}`));
      const owner = cluster.slots[slot]?.[0];
      if (owner && !tagOf.has(owner)) tagOf.set(owner, `t${i}`);
    }

    // Act
    for (const tag of tagOf.values()) await cluster.set(`mskguard:{${tag}}:probe`, tag);
    await cluster.quit();

    // Assess: each node holds exactly its own tag's key, and redirects the others.
    for (const [owner, tag] of tagOf) {
      const port = Number(owner.split(':')[1]);
      const found = await onNode('127.0.0.1', port, async (node) => {
        const replies: (string | null)[] = [];
        for (const other of tagOf.values()) {
          replies.push(
            await node.get(`mskguard:{${other}}:probe`).catch((e: Error) => e.message.split(' ')[0]!),
          );
        }
        return replies;
      });
      expect(found).toEqual([...tagOf.values()].map((other) => (other === tag ? tag : 'MOVED')));
    }
    expect(new Set(tagOf.keys()).size).toBe(3);
  }, 60_000);

  it('leaves a formed cluster as it is when brought up again', async () => {
    // Act
    const again = await stackUp({ config, only: ['redis-cluster'] });

    // Assess
    expect(again.started).toEqual([]);
    const status = (await stackStatus(config)).find((s) => s.name === 'redis-cluster');
    expect(status).toMatchObject({ running: true, answering: true });
  }, 60_000);

  it('stops every node on down, and forgets the cluster', async () => {
    // Prepare
    expect(processesMentioning(state)).toHaveLength(3);

    // Act
    const stopped = await stackDown({ config });

    // Assess
    expect(stopped).toEqual(['redis-cluster']);
    expect(processesMentioning(state)).toEqual([]);
    expect(runningStackEndpoints(config, ['redis-cluster'])).toBeUndefined();
    const pings = await Promise.all(
      ports.map((port) => onNode('127.0.0.1', port, (n) => n.ping()).catch(() => 'refused')),
    );
    expect(pings).toEqual(['refused', 'refused', 'refused']);
  }, 60_000);

  it('takes the cluster out of the env file when only the cluster stops', async () => {
    // Prepare: a Redis of its own beside the cluster, in the same state dir.
    const withRedis = loadStackConfig({
      ...process.env,
      MSKGUARD_STACK_STATE: state,
      MSKGUARD_REDIS_CLUSTER_PORT: String(config.redisClusterPort),
      MSKGUARD_REDIS_PORT: String(await freePort()),
    });
    await stackUp({ config: withRedis, only: ['redis', 'redis-cluster'] });
    expect(readEnvFile(withRedis.paths.envFile)?.REDIS_CLUSTER_NODES).toBeDefined();

    // Act
    const stopped = await stackDown({ config: withRedis, only: ['redis-cluster'] });

    // Assess
    expect(stopped).toEqual(['redis-cluster']);
    const env = readEnvFile(withRedis.paths.envFile);
    expect(env?.REDIS_URL).toBe(`redis://127.0.0.1:${withRedis.redisPort}`);
    expect(env?.REDIS_CLUSTER_NODES).toBeUndefined();
    expect(await stackDown({ config: withRedis })).toEqual(['redis']);
  }, 60_000);
});
