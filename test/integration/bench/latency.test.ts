// The latency benchmark against the real stack (issue 16 item 1): at +N ms its clients go through
// Toxiproxy proxies of the run's own with a latency toxic, a PING there pays at least N, the peer's
// row at an added latency is scaled and says so, and the run leaves no proxy, no toxic and no Redis
// key behind, also when a measurement fails. Without Toxiproxy it names why and runs loopback only.
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { closeProxies, openProxies, proxiesOrReason, run, withAddedLatency } from '#bench/latency.ts';
import type { BenchContext } from '#bench/main.ts';
import type { StackEndpoints } from '#local/stack-config.ts';
import { ToxiproxyClient } from '#local/toxiproxy.ts';
import { stackEnv, stackVar, uniqueName } from '#test/support/stack.ts';

const toxiproxyUrl = process.env.TOXIPROXY_URL;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('proxiesOrReason', () => {
  it('names Toxiproxy as missing when the stack runs without it', async () => {
    // Prepare
    const env = { ...stackEnv(), TOXIPROXY_URL: undefined } as StackEndpoints;

    // Act
    const reason = await proxiesOrReason(env, uniqueName('bench-latency-test'));

    // Assess
    expect(reason).toBe(
      'Toxiproxy is not part of the stack (it is built with Go on first use; the stack log above says why it is missing)',
    );
  });

  it('says why when Toxiproxy does not answer', async () => {
    // Prepare
    const env = { ...stackEnv(), TOXIPROXY_URL: `http://127.0.0.1:${await closedPort()}` };

    // Act
    const reason = await proxiesOrReason(env, uniqueName('bench-latency-test'));

    // Assess
    expect(reason).toMatch(/^Toxiproxy did not create this run's proxies: toxiproxy: could not create proxy/);
  });
});

describe.skipIf(!toxiproxyUrl)('latency bench through Toxiproxy', () => {
  const toxi = new ToxiproxyClient(toxiproxyUrl ?? 'http://unset');
  const env = (): StackEndpoints => ({ ...stackEnv(), TOXIPROXY_URL: stackVar('TOXIPROXY_URL') });
  const benchProxies = async () =>
    Object.keys(await toxi.proxies()).filter((name) => name.startsWith('bench-latency-'));
  const redis = new Redis(process.env.REDIS_URL ?? '', { lazyConnect: true });

  afterAll(() => {
    redis.disconnect();
  });

  async function keysMatching(pattern: string): Promise<string[]> {
    if (redis.status === 'wait') await redis.connect();
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  }

  it('removes the toxics when the measurement fails, and the proxies when closed', async () => {
    // Prepare
    const id = uniqueName('bench-latency-test');
    const proxies = await openProxies(env(), id);
    let during: string[][] = [];

    // Act
    const failed = withAddedLatency(proxies, 3, async () => {
      during = await Promise.all(proxies.names.map(async (p) => (await toxi.toxics(p)).map((t) => t.stream)));
      throw new Error('measurement failed');
    });
    await expect(failed).rejects.toThrow('measurement failed');
    const after = await Promise.all(proxies.names.map((p) => toxi.toxics(p)));
    await closeProxies(proxies, () => {});

    // Assess: one toxic per proxy, on the replies only, so a round trip pays it once.
    expect(during).toEqual([['downstream'], ['downstream']]);
    expect(after).toEqual([[], []]);
    expect(Object.keys(await toxi.proxies())).not.toContain(proxies.names[0]);
    expect(Object.keys(await toxi.proxies())).not.toContain(proxies.names[1]);
  });

  it('measures each latency, scales the peer there and leaves nothing behind', async () => {
    // Prepare
    const lines: string[] = [];
    const ctx: BenchContext = {
      warmup: 0,
      repetitions: 1,
      log: (line) => lines.push(line),
      options: { latencies: '0,2', sizes: '200', 'peer-records': '100' },
    };

    // Act
    const [rowsTable, ratioTable] = await run(ctx);

    // Assess
    const rows = rowsTable!.rows;
    expect(rows.map((r) => [r.rttAddedMs, r.impl, r.batch, r.measuredRecords, r.scaled])).toEqual([
      [0, 'mskguard-resp', 200, 200, false],
      [0, 'mskguard-upstash', 200, 200, false],
      [0, 'powertools', 200, 200, false],
      [0, 'powertools', 200, 100, true],
      [2, 'mskguard-resp', 200, 200, false],
      [2, 'mskguard-upstash', 200, 200, false],
      [2, 'powertools', 200, 100, true],
    ]);
    // Through the toxic a round trip pays at least the added latency (a lower bound only).
    for (const row of rows.filter((r) => r.rttAddedMs === 2)) {
      expect(row.pingMs as number).toBeGreaterThanOrEqual(2);
      expect(row.ms as number).toBeGreaterThanOrEqual(2 * (row.roundTrips as number));
    }
    expect(rows.filter((r) => r.impl !== 'powertools').map((r) => r.roundTrips)).toEqual([2, 2, 2, 2]);
    expect(ratioTable!.rows.map((r) => [r.rttAddedMs, r.peerScaled])).toEqual([
      [0, false],
      [2, true],
    ]);
    expect(lines).toContain('latency: +2 ms, 100 records, powertools makeIdempotent per record');
    expect(await benchProxies()).toEqual([]);
    expect(await keysMatching('*bench-latency-*')).toEqual([]);
  });
});
