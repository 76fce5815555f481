// Cache blips, part 2 (issue 17; G1, G2, G4, G5): the cache goes away or slows down. Toxiproxy
// between the cache clients and the real Redis and REST endpoint makes the cache unreachable when
// the failed records are given back (in the same container and in new ones, which must wait the
// leases out), takes it away for 2 s in the middle of a run of many batches, adds latency above the
// client's timeout, or makes the REST endpoint stop answering. Each scenario must end with every
// key's effect exactly once, nothing lost and nothing sent to the on-failure destination. Replies
// lost after the script ran: cache-blips.lost-replies.test.ts; the proxies, the guarded consumer
// and the poller simulator both use: cache-blips-fixture.ts.
import { describe, expect, it } from 'vitest';
import { type Adapter, useCacheBlipsFixture } from './cache-blips-fixture.ts';

describe('cache blips: one effect per key, nothing lost, nothing to on-failure', () => {
  const { toxi, proxies, run, faultAt } = useCacheBlipsFixture('cache blips: outages');

  /** The next call of `script` finds the cache gone (the proxy refuses connections). */
  const outageDuring = (script: string, adapter: Adapter, at = 1) =>
    faultAt(script, adapter, at, (proxy) => ({
      before: async () => {
        await toxi.disable(proxy);
        // Until the client has seen its connection closed: the call must not slip through first.
        await new Promise((resolve) => setTimeout(resolve, 200));
      },
      after: () => toxi.enable(proxy),
    }));

  describe.each(['resp', 'upstash'] as const)('over %s', (adapter) => {
    it('the cache is unreachable when the failed records are given back (the reproduction)', async () => {
      // k4 fails in the first invocation; the call that gives its partition's leases back then
      // finds the cache gone.
      const row = await run('release never arrives, same container', adapter, {
        failOnce: ['k4'],
        between: outageDuring('complete', adapter, 0),
      });
      // The redelivery is processed by the next delivery: the late settlement freed the keys first.
      expect(row.failed).toBe(1);
    });

    it('a 2-second outage in the middle of a run of many batches', async () => {
      const name = proxies[adapter];
      await run('2 s outage amid many batches', adapter, {
        records: 300,
        between: async (i) => {
          if (i !== 5) return;
          await toxi.disable(name);
          setTimeout(() => void toxi.enable(name), 2000);
        },
      });
    });

    it('latency rises above the client timeout for one invocation', async () => {
      const name = proxies[adapter];
      await run('latency above the timeout', adapter, {
        between: async (i) => {
          if (i === 1)
            await toxi.addToxic(name, { type: 'latency', name: 'slow', attributes: { latency: 1500 } });
          if (i === 2) await toxi.removeToxic(name, 'slow');
        },
      });
    });
  });

  it('a new container meets the leases a blip left behind and waits them out', async () => {
    // The invocation that held them failed its records and could not give the leases back; the
    // retries land in new containers, so only lease waits (within each one's time) can free them.
    const row = await run('release never arrives, new containers', 'resp', {
      container: 'new',
      failOnce: ['k4'],
      between: outageDuring('complete', 'resp', 0),
    });
    // The handler's failure, then at least one delivery that waited its whole budget: the leases
    // were held, and the retries still ended before the budget (nothing to on-failure, above).
    expect(row.failed).toBeGreaterThanOrEqual(2);
  });

  it('the REST endpoint stops answering for one invocation', async () => {
    await run('REST endpoint times out', 'upstash', {
      between: async (i) => {
        if (i === 1)
          await toxi.addToxic(proxies.upstash, { type: 'timeout', name: 'hang', attributes: { timeout: 0 } });
        if (i === 2) await toxi.removeToxic(proxies.upstash, 'hang');
      },
    });
  });
});
