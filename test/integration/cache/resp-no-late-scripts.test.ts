// G4/G5 and decision 0014 over RESP (single node): a call that failed with CacheUnavailableError
// must never reach Redis later. The caller has already moved on (released, retried under the same
// owner, or degraded), so a claim or complete replayed on the next connection would lease or mark
// keys behind its back. And a link that stopped answering must be replaced, so the runner works
// again as soon as the network does, not after the kernel gives up on the socket (~15 min).
// Real redis-server behind a Toxiproxy proxy of this suite's own (never the stack's shared ones).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ToxiproxyClient } from '#local/toxiproxy.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { LATE_MARK } from '#test/support/runners.ts';
import { stackVar, uniqueName } from '#test/support/stack.ts';
import { proxyToStackRedis } from '#test/support/toxiproxy.ts';

const toxiproxyUrl = process.env.TOXIPROXY_URL;
const mark = LATE_MARK;
const base = `mskguard:{late-blips-${randomUUID()}}`;
const TIMEOUT_MS = 300;

describe.skipIf(!toxiproxyUrl)('RespScriptRunner after a call it gave up on', () => {
  const toxi = new ToxiproxyClient(toxiproxyUrl ?? 'http://unset');
  const proxy = uniqueName('late-resp');
  const admin = new Redis(stackVar('REDIS_URL'));
  const runners: RespScriptRunner[] = [];
  let url = '';

  const runner = () => {
    const r = new RespScriptRunner({ url, timeoutMs: TIMEOUT_MS });
    runners.push(r);
    return r;
  };
  /** The network drops everything on this proxy (a dead peer: no RST, no reply). */
  const blackhole = (stream: 'upstream' | 'downstream') =>
    toxi.addToxic(proxy, { name: 'blackhole', type: 'timeout', stream, attributes: { timeout: 0 } });
  /** The network is back; Toxiproxy closes the connections the toxic held, and the client reconnects. */
  const heal = () => toxi.removeToxic(proxy, 'blackhole');
  /** Until a call goes through again (bounded: a runner that never recovers fails the test). */
  const untilWorks = (r: RespScriptRunner, key: string) =>
    vi.waitFor(() => r.run(mark, [key], ['1']), { timeout: 10_000, interval: 100 });

  beforeAll(async () => {
    url = `redis://${await proxyToStackRedis(toxi, proxy)}`;
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.close();
    await toxi.resetProxy(proxy);
  });
  afterAll(async () => {
    await toxi.deleteProxy(proxy);
    const keys = await admin.keys(`${base}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });

  it('does not resend a script written to a link that died once the client reconnects', async () => {
    // Prepare: connected, and the server knows the script.
    const r = runner();
    await r.run(mark, [`${base}:warm`], ['1']);
    await blackhole('upstream');

    // Act: the call fails (the invocation gives up), then the network comes back.
    await expect(r.run(mark, [`${base}:a`], ['stale'])).rejects.toBeInstanceOf(CacheUnavailableError);
    await heal();
    await untilWorks(r, `${base}:a-after`);

    // Assert: the script the caller gave up on never ran.
    expect(await admin.get(`${base}:a`)).toBeNull();
  });

  it('does not send later a script that waited for a connection the caller gave up on', async () => {
    // Prepare: the link connects, but the server's replies (the ready check's too) are lost.
    await blackhole('downstream');
    const r = runner();

    // Act
    await expect(r.run(mark, [`${base}:b`], ['stale'])).rejects.toBeInstanceOf(CacheUnavailableError);
    await heal();
    await untilWorks(r, `${base}:b-after`);

    // Assert
    expect(await admin.get(`${base}:b`)).toBeNull();
  });
});
