// Cache blips, part 1 (issue 17; G1, G2, G4, G5): a reply is lost. Toxiproxy between the cache
// clients and the real Redis and REST endpoint cuts the connection after the claim, complete or
// release script ran, before its reply arrives. Each scenario must end with every key's effect
// exactly once, nothing lost and nothing sent to the on-failure destination. The cache unreachable,
// an outage, latency above the timeout and a silent REST endpoint: cache-blips.outages.test.ts;
// the proxies, the guarded consumer and the poller simulator both use: cache-blips-fixture.ts.
import { describe, it } from 'vitest';
import { type Adapter, useCacheBlipsFixture } from './cache-blips-fixture.ts';

describe('cache blips: one effect per key, nothing lost, nothing to on-failure', () => {
  const { toxi, run, faultAt } = useCacheBlipsFixture('cache blips: lost replies');

  /** The reply of the next call of `script` is cut after the server ran it (limit_data 0 downstream). */
  const cutReply = (script: string, adapter: Adapter, at = 1) =>
    faultAt(script, adapter, at, (proxy) => ({
      before: () =>
        toxi.addToxic(proxy, {
          type: 'limit_data',
          name: 'cut',
          stream: 'downstream',
          attributes: { bytes: 0 },
        }),
      after: () => toxi.removeToxic(proxy, 'cut'),
    }));

  describe.each(['resp', 'upstash'] as const)('over %s', (adapter) => {
    it.each([
      'claim',
      'complete',
    ])('the connection resets after the %s ran, before its reply', async (script) => {
      await run(`reply of ${script} lost`, adapter, { between: cutReply(script, adapter) });
    });

    it('the connection resets after the release ran, before its reply', async () => {
      await run('reply of release lost', adapter, {
        failOnce: ['k4'],
        between: cutReply('release', adapter),
      });
    });
  });
});
