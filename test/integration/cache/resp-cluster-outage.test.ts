// The RESP runners on a Redis Cluster node of the test's own (a fresh one-node cluster with one
// slot left without an owner): a node's empty script cache is filled by EVAL after NOSCRIPT, and a
// slot no node serves (CLUSTERDOWN) or a cluster that went away is an outage, CacheUnavailableError
// (onCacheUnavailable decides, G6), not a script bug and not a hang.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { which } from '#local/installers.ts';
import { type ManagedProcess, stopProcess } from '#local/processes.ts';
import { clusterInfo, onNode, startClusterNode, writeClusterNodeConfig } from '#local/redis-cluster.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { freePort } from '#test/support/ports.ts';
import { freshPortScript } from '#test/support/runners.ts';

const HOST = '127.0.0.1';
const SERVED = 'mskguard:{served}';
const UNSERVED = 'mskguard:{unserved}';

/** Runs `probe` until it stops throwing (the node is starting), for at most 10 s. */
async function until<T>(probe: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await probe();
    } catch (error) {
      if (i >= 100) throw error;
      await sleep(100);
    }
  }
}

/** Calls and failed calls of a command on the node, from INFO commandstats. */
async function commandStats(port: number, command: string): Promise<{ calls: number; failed: number }> {
  const info = await onNode(HOST, port, (n) => n.info('commandstats'));
  const line = info.split('\r\n').find((l) => l.startsWith(`cmdstat_${command}:`)) ?? '';
  return {
    calls: Number(/calls=(\d+)/.exec(line)?.[1] ?? 0),
    failed: Number(/failed_calls=(\d+)/.exec(line)?.[1] ?? 0),
  };
}

describe('the RESP runners on a cluster node that cannot serve every slot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mskguard-node-'));
  let port: number;
  let node: ManagedProcess;
  let runner: RespClusterScriptRunner;

  beforeAll(async () => {
    port = await freePort();
    const bus = await freePort();
    // Coverage not required: the node stays cluster_state:ok and answers CLUSTERDOWN for the one slot.
    const config = writeClusterNodeConfig(dir, HOST, port, [
      `cluster-port ${bus}`,
      'cluster-require-full-coverage no',
    ]);
    node = startClusterNode(which('redis-server') ?? 'redis-server', config, {
      name: 'scratch-node',
      log: join(dir, 'redis.log'),
    });
    await until(() => onNode(HOST, port, (n) => n.ping()));
    await onNode(HOST, port, async (n) => {
      await n.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      await n.call('CLUSTER', 'DELSLOTS', String(await n.call('CLUSTER', 'KEYSLOT', UNSERVED)));
    });
    await until(async () => {
      const info = await onNode(HOST, port, clusterInfo);
      if (info.cluster_state !== 'ok') throw new Error(`cluster_state:${info.cluster_state}`);
    });
    runner = new RespClusterScriptRunner({ nodes: [`redis://${HOST}:${port}`], timeoutMs: 500 });
  });
  afterAll(async () => {
    await runner?.close();
    if (node) await stopProcess(node);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a script on a fresh node with EVAL after its NOSCRIPT, then runs it by SHA', async () => {
    // Prepare
    const script = freshPortScript();

    // Act
    const first = await runner.run(script, [SERVED], ['x']);
    const afterFirst = {
      evalsha: await commandStats(port, 'evalsha'),
      eval: await commandStats(port, 'eval'),
    };
    const second = await runner.run(script, [SERVED], ['y']);

    // Assess
    expect([first, second]).toEqual([String(port), String(port)]);
    expect(afterFirst).toEqual({ evalsha: { calls: 1, failed: 1 }, eval: { calls: 1, failed: 0 } });
    expect(await commandStats(port, 'evalsha')).toEqual({ calls: 2, failed: 1 });
    expect(await commandStats(port, 'eval')).toEqual({ calls: 1, failed: 0 });
  });

  it('fails a script on a slot no node serves with CacheUnavailableError (cluster runner)', async () => {
    // Act
    const error = await runner.run(freshPortScript(), [UNSERVED], ['x']).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CacheUnavailableError);
  });

  it('takes CLUSTERDOWN as an outage, not a script bug (single-node runner)', async () => {
    // Prepare: a single-node runner pointed at the node gets the CLUSTERDOWN reply itself.
    const single = new RespScriptRunner({ url: `redis://${HOST}:${port}` });

    // Act
    const error = await single.run(freshPortScript(), [UNSERVED], ['x']).catch((e: unknown) => e);
    await single.close();

    // Assess
    expect(error).toBeInstanceOf(CacheUnavailableError);
    expect((error as Error).message).toMatch(/cannot serve now \(CLUSTERDOWN/);
  });

  it('fails the next call with CacheUnavailableError once the cluster is gone', async () => {
    // Prepare
    expect(await runner.run(freshPortScript(), [SERVED], ['x'])).toBe(String(port));
    await stopProcess(node);

    // Act
    const error = await runner.run(freshPortScript(), [SERVED], ['x']).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CacheUnavailableError);
  });
});
