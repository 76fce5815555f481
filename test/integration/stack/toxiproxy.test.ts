// Toxiproxy in the local stack (issue 17): the stack's `redis` proxy forwards RESP to its Redis, and
// the client in local/toxiproxy.ts drives the real server: a disabled proxy refuses connections, a
// latency toxic delays replies, reset_peer resets the connection, and failures name the proxy.
// Toxics go on a proxy of this suite's own (an ephemeral listen port), so suites that use the
// stack's proxies at the same time are not disturbed.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_PROXIES } from '#local/services.ts';
import { ToxiproxyClient } from '#local/toxiproxy.ts';
import { ToxiproxyError } from '#local/toxiproxy-types.ts';
import { stackVar, uniqueName } from '#test/support/stack.ts';
import { proxyToStackRedis } from '#test/support/toxiproxy.ts';

const toxiproxyUrl = process.env.TOXIPROXY_URL;

/** A RESP client that never reconnects or queues, so a broken link shows as an error at once. */
function directClient(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
  });
}

async function roundTripMs(client: Redis): Promise<number> {
  const started = performance.now();
  expect(await client.ping()).toBe('PONG');
  return performance.now() - started;
}

describe.skipIf(!toxiproxyUrl)('Toxiproxy in the local stack', () => {
  const toxi = new ToxiproxyClient(toxiproxyUrl ?? 'http://unset');
  const proxy = uniqueName('stack-test');
  let listen = '';
  const clients: Redis[] = [];
  const client = (url: string) => {
    const c = directClient(url);
    c.on('error', () => {}); // asserted where a test expects one
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    listen = await proxyToStackRedis(toxi, proxy);
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await toxi.deleteProxy(proxy);
  });

  it('forwards RESP and REST through the stack proxies (TOXI_REDIS_URL, TOXI_UPSTASH_REDIS_REST_URL)', async () => {
    // Prepare
    const through = client(process.env.TOXI_REDIS_URL ?? '');
    const stackProxy = await toxi.proxy(STACK_PROXIES.redis);

    // Act
    await through.connect();
    const pong = await through.ping();

    const rest = await fetch(process.env.TOXI_UPSTASH_REDIS_REST_URL ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${stackVar('UPSTASH_REDIS_REST_TOKEN')}` },
      body: JSON.stringify(['PING']),
    });

    // Assess
    expect(pong).toBe('PONG');
    expect(await rest.json()).toEqual({ result: 'PONG' });
    expect(stackProxy.enabled).toBe(true);
    expect(stackProxy.upstream).toBe(new URL(stackVar('REDIS_URL')).host);
  });

  it('refuses connections while the proxy is disabled, and forwards again once enabled', async () => {
    // Act
    const errors: NodeJS.ErrnoException[] = [];
    const failed = await toxi.withOutage(proxy, async () => {
      const c = client(`redis://${listen}`);
      c.on('error', (error: NodeJS.ErrnoException) => errors.push(error));
      return c
        .connect()
        .then(() => c.ping())
        .then(
          () => false,
          () => true,
        );
    });
    const after = client(`redis://${listen}`);
    await after.connect();

    // Assess: refused (not a connect timeout), so the call fails at once.
    expect(failed).toBe(true);
    expect(errors.map((e) => e.code)).toContain('ECONNREFUSED');
    expect(await after.ping()).toBe('PONG');
  });

  it('adds at least the latency of a latency toxic to a round trip, and none once it is removed', async () => {
    // Prepare
    const c = client(`redis://${listen}`);
    await c.connect();
    await roundTripMs(c);

    // Act
    const slowed = await toxi.withToxic(
      proxy,
      { type: 'latency', stream: 'downstream', attributes: { latency: 50, jitter: 0 } },
      async () => {
        expect((await toxi.toxics(proxy)).map((t) => [t.type, t.stream])).toEqual([
          ['latency', 'downstream'],
        ]);
        return roundTripMs(c);
      },
    );
    const toxicsAfter = await toxi.toxics(proxy);

    // Assess (a lower bound only: the machine may be slow, never faster than the toxic)
    expect(slowed).toBeGreaterThanOrEqual(50);
    expect(toxicsAfter).toEqual([]);
    expect(await c.ping()).toBe('PONG');
  });

  it('resets the connection with reset_peer', async () => {
    // Prepare
    const c = client(`redis://${listen}`);
    await c.connect();
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));

    // Act
    await toxi.addToxic(proxy, {
      name: 'reset',
      type: 'reset_peer',
      stream: 'upstream',
      attributes: { timeout: 0 },
    });
    const ping = await c.ping().then(
      () => 'PONG',
      (error: Error) => error.message,
    );
    await closed;
    await toxi.removeToxic(proxy, 'reset');
    const again = client(`redis://${listen}`);
    await again.connect();

    // Assess
    expect(ping).not.toBe('PONG');
    expect(c.status).toBe('end');
    expect(await again.ping()).toBe('PONG');
  });

  it('fails with an error naming the proxy and the toxic', async () => {
    // Act
    const missing = await toxi
      .addToxic('no-such-proxy', { type: 'timeout', attributes: { timeout: 100 } })
      .catch((error: unknown) => error);
    await toxi.addToxic(proxy, { name: 'twice', type: 'slicer', attributes: { average_size: 8 } });
    const duplicate = await toxi
      .addToxic(proxy, { name: 'twice', type: 'slicer', attributes: { average_size: 8 } })
      .catch((error: unknown) => error);
    await toxi.removeToxic(proxy, 'twice');
    const unreachable = await new ToxiproxyClient('http://127.0.0.1:9', { timeoutMs: 1000 })
      .reset()
      .catch((error: unknown) => error);

    // Assess
    expect(missing).toBeInstanceOf(ToxiproxyError);
    expect((missing as ToxiproxyError).status).toBe(404);
    expect((missing as Error).message).toMatch(/timeout toxic "timeout_downstream" to proxy "no-such-proxy"/);
    expect((duplicate as ToxiproxyError).status).toBe(409);
    expect((duplicate as Error).message).toMatch(new RegExp(`toxic "twice" to proxy "${proxy}"`));
    expect((unreachable as ToxiproxyError).status).toBeUndefined();
    expect((unreachable as Error).message).toMatch(/did not answer/);
  });
});
