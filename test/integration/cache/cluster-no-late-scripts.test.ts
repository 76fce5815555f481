// Decision 0014 over a Redis Cluster (RespClusterScriptRunner): a call that failed with
// CacheUnavailableError must never reach Redis later. The caller has already moved on (released,
// retried under the same owner, or degraded), so a claim or complete that ioredis retried or
// queued and sent once the cluster is back would lease or mark keys behind its back (G1/G2).
// The stack's cluster behind Toxiproxy proxies of this suite's own, one per node (never the
// stack's shared ones); `natMap` sends the runner to each node's proxy, not its announced address.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ToxiproxyClient } from '#local/toxiproxy.ts';
import { RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { clusterAdmin, clusterPorts, tagPerNode } from '#test/support/cluster.ts';
import { freePort } from '#test/support/ports.ts';
import { LATE_MARK } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const HOST = '127.0.0.1';
const toxiproxyUrl = process.env.TOXIPROXY_URL;
const clusterNodes = process.env.REDIS_CLUSTER_NODES;
const mark = LATE_MARK;
const run = `late-cluster-${randomUUID()}`;
const TIMEOUT_MS = 300;

describe.skipIf(!toxiproxyUrl || !clusterNodes)('RespClusterScriptRunner after a call it gave up on', () => {
  const toxi = new ToxiproxyClient(toxiproxyUrl ?? 'http://unset');
  const admin = clusterAdmin();
  const runners: RespClusterScriptRunner[] = [];
  // Each cluster node's port, and the name and port of its proxy.
  const proxies = new Map<number, { name: string; port: number }>();
  const written: string[] = [];

  const runner = () => {
    const natMap = Object.fromEntries(
      [...proxies].map(([node, proxy]) => [`${HOST}:${node}`, { host: HOST, port: proxy.port }]),
    );
    const nodes = [...proxies.values()].map((proxy) => `redis://${HOST}:${proxy.port}`);
    const r = new RespClusterScriptRunner({ nodes, natMap, timeoutMs: TIMEOUT_MS });
    runners.push(r);
    return r;
  };
  const key = (tag: string, name: string) => {
    const k = `mskguard:{${tag}}:${name}`;
    written.push(k);
    return k;
  };
  /** Until a call goes through again (bounded: a runner that never recovers fails the test). */
  const untilWorks = (r: RespClusterScriptRunner, k: string) =>
    vi.waitFor(() => r.run(mark, [k], ['1']), { timeout: 15_000, interval: 100 });

  beforeAll(async () => {
    for (const node of clusterPorts()) {
      const proxy = { name: uniqueName(`late-cluster-${node}`), port: await freePort() };
      await toxi.createProxy({
        name: proxy.name,
        listen: `${HOST}:${proxy.port}`,
        upstream: `${HOST}:${node}`,
      });
      proxies.set(node, proxy);
    }
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.close();
    for (const { name } of proxies.values()) await toxi.resetProxy(name);
  });
  afterAll(async () => {
    for (const { name } of proxies.values()) await toxi.deleteProxy(name);
    for (const k of written) await admin.del(k);
    admin.disconnect();
  });

  it('does not send a script that ioredis held while the whole cluster was unreachable', async () => {
    // Prepare: connected to every node, each of which knows the script.
    const r = runner();
    const tags = await tagPerNode(run);
    for (const tag of tags.values()) await r.run(mark, [key(tag, 'warm')], ['1']);
    const [[first, tag]] = [...tags] as [[number, string]];
    const stale = key(tag, 'stale');

    // Act: the call's node goes away, and so does the rest of the cluster while ioredis retries
    // the call; the call fails (the invocation gives up), then the network comes back.
    await toxi.disable(proxies.get(first)!.name);
    const failed = r.run(mark, [stale], ['stale']).catch((e: unknown) => e);
    for (const [node, proxy] of proxies) if (node !== first) await toxi.disable(proxy.name);
    expect(await failed).toBeInstanceOf(CacheUnavailableError);
    for (const { name } of proxies.values()) await toxi.enable(name);
    // A later call to the same node is sent after anything ioredis still held for the cluster.
    await untilWorks(r, key(tag, 'after'));

    // Assert: the script the caller gave up on never ran.
    expect(await admin.get(stale)).toBeNull();
  });
});
