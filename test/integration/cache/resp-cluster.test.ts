// The sharded tier's transport (issue 16): RespClusterScriptRunner runs each script on the node
// that owns its first key's slot, follows ASK and MOVED while a slot moves, loads a script on each
// node that lacks it (NOSCRIPT is per node), rethrows CROSSSLOT as the bug it is, and fails with
// CacheUnavailableError, never hangs, when the cluster cannot serve (G6: onCacheUnavailable decides).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { onNode } from '#local/redis-cluster.ts';
import { RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { ownerOf, slotOf, tagPerNode } from '#test/support/cluster.ts';
import { freePort } from '#test/support/ports.ts';
import { freshPortScript } from '#test/support/runners.ts';
import { clusterNodeUrls } from '#test/support/stack.ts';

const HOST = '127.0.0.1';

describe('RespClusterScriptRunner on the stack cluster', () => {
  const nodes = clusterNodeUrls();
  const ports = nodes.map((url) => Number(new URL(url).port));
  const runner = new RespClusterScriptRunner({ nodes: [nodes[0]!] });
  const run = `t${randomBytes(4).toString('hex')}`;
  afterAll(() => runner.close());

  it("runs each script on the node that owns its first key's slot", async () => {
    // Prepare
    const tags = await tagPerNode(run);
    const script = freshPortScript();

    // Act
    const ranOn = new Map<number, unknown>();
    for (const [owner, tag] of tags) ranOn.set(owner, await runner.run(script, [`mskguard:{${tag}}`], ['x']));

    // Assess
    expect([...ranOn.entries()]).toEqual([...tags.keys()].map((owner) => [owner, String(owner)]));
  });

  it('runs a batch of scripts sent at once, one per shard, on a runner not yet connected', async () => {
    // Prepare: 16 shard tags over the three nodes, as a sharded tier sends them.
    const fresh = new RespClusterScriptRunner({ nodes });
    const shards = [...(await tagPerNode(run)).entries()].flatMap(([owner, tag]) =>
      Array.from({ length: 6 }, (_, s) => [owner, `${tag}`, `mskguard:{${tag}}:s${s}`] as const),
    );
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const script = freshPortScript();

    // Act
    const ranOn = await Promise.all(shards.map(([, , key]) => fresh.run(script, [key], ['x'])));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    await fresh.close();

    // Assess: each on its owner, and no listener piled up per waiting call.
    expect(ranOn).toEqual(shards.map(([owner]) => String(owner)));
    expect(warnings).toEqual([]);
  });

  it('loads the script on each node that lacks it, and only there (NOSCRIPT is per node)', async () => {
    // Prepare
    const [[first, firstTag], [second, secondTag]] = [...(await tagPerNode(run)).entries()] as [
      [number, string],
      [number, string],
    ];
    const script = freshPortScript();
    const loadedOn = () =>
      Promise.all(
        ports.map((p) =>
          onNode(HOST, p, async (n) => ((await n.script('EXISTS', script.sha1)) as number[])[0]),
        ),
      );

    // Act
    await runner.run(script, [`mskguard:{${firstTag}}`], ['x']);
    const afterFirst = await loadedOn();
    await runner.run(script, [`mskguard:{${secondTag}}`], ['x']);
    const afterSecond = await loadedOn();

    // Assess
    expect(afterFirst).toEqual(ports.map((p) => (p === first ? 1 : 0)));
    expect(afterSecond).toEqual(ports.map((p) => (p === first || p === second ? 1 : 0)));
  });

  it('rethrows CROSSSLOT (keys of two slots in one call) as a script bug, not an outage', async () => {
    // Prepare
    const [a, b] = [...(await tagPerNode(run)).values()];
    const script = { ...freshPortScript(), numberOfKeys: 2 };

    // Act
    const error = await runner
      .run(script, [`mskguard:{${a}}`, `mskguard:{${b}}`], ['x'])
      .catch((e: Error) => e);

    // Assess
    expect(error).not.toBeInstanceOf(CacheUnavailableError);
    expect((error as Error).message).toMatch(/^CROSSSLOT/);
  });

  it('follows ASK while its slot migrates, then MOVED once it has moved', async () => {
    // Prepare: the slot of a tag of this run only, owned by one node, moved to another. The slot
    // must hold no key of another suite: its owner refuses to give away a slot that holds keys.
    const [from, tag] = await tagOfEmptySlot(`${run}-move`);
    const to = ports.find((p) => p !== from)!;
    const slot = await slotOf(`{${tag}}`);
    const keys = ['old', 'new', 'after'].map((k) => `mskguard:{${tag}}:${k}`);
    const dropKeys = () =>
      Promise.all(ports.map((p) => onNode(HOST, p, (n) => n.del(...keys).catch(() => 0))));
    const script = freshPortScript();
    await runner.run(script, [keys[0]!], ['x']);

    try {
      // Act 1: migrating; a key the old owner does not have is asked of the new one.
      await beginMove(slot, from, to);
      const asked = await runner.run(script, [keys[1]!], ['x']);
      // Act 2: moved (the runner still maps the slot to the old owner, which redirects).
      await dropKeys();
      await finishMove(slot, from, to);
      const moved = await runner.run(script, [keys[2]!], ['x']);

      // Assess
      expect(asked).toBe(String(to));
      expect(moved).toBe(String(to));
    } finally {
      // The slot goes back to its owner, the same way (it holds only this test's keys).
      await dropKeys();
      await beginMove(slot, to, from);
      await finishMove(slot, to, from);
    }
  });

  /** Opens a slot's migration: the target imports it, the owner answers ASK for keys it lacks. */
  async function beginMove(slot: number, from: number, to: number): Promise<void> {
    const ids = await nodeIds();
    await onNode(HOST, to, (n) => n.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids.get(from)!));
    await onNode(HOST, from, (n) => n.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', ids.get(to)!));
  }

  /** Gives the (empty) slot to its target on every node, the target first (it bumps its epoch). */
  async function finishMove(slot: number, from: number, to: number): Promise<void> {
    const ids = await nodeIds();
    for (const port of [to, from, ...ports.filter((p) => p !== to && p !== from)]) {
      await onNode(HOST, port, (n) => n.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', ids.get(to)!));
    }
  }

  /** A tag whose slot holds no key now, and the node that owns it. */
  async function tagOfEmptySlot(prefix: string): Promise<[number, string]> {
    for (let i = 0; ; i++) {
      const tag = `${prefix}-${i}`;
      const slot = await slotOf(`{${tag}}`);
      const owner = await ownerOf(slot);
      const keys = await onNode(HOST, owner, (n) => n.call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)));
      if (Number(keys) === 0) return [owner, tag];
    }
  }

  async function nodeIds(): Promise<Map<number, string>> {
    return new Map(
      await Promise.all(
        ports.map(async (p) => [p, String(await onNode(HOST, p, (n) => n.call('CLUSTER', 'MYID')))] as const),
      ),
    );
  }

  it('fails with CacheUnavailableError when no node of the cluster answers', async () => {
    // Prepare: a port nothing listens on.
    const nowhere = new RespClusterScriptRunner({
      nodes: [`redis://${HOST}:${await freePort()}`],
      timeoutMs: 300,
    });

    // Act
    const error = await nowhere.run(freshPortScript(), ['mskguard:{x}'], ['x']).catch((e: unknown) => e);
    await nowhere.close();

    // Assess
    expect(error).toBeInstanceOf(CacheUnavailableError);
    expect((error as Error).message).toMatch(/not ready after 300 ms/);
  });
});
