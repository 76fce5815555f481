// G1 for keys in doubt whose claim reply was lost (decisions 0006, 0014, 0015). An invocation died
// after its checkpoint (and commit marker) committed and before its complete reached Redis. The
// claim of a producer duplicate finds the key in doubt and takes it over, so the key's field names
// the taker from then on, but the taker never learns that it was in doubt:
// - its reply is lost (a connection reset after the script ran), and the taker claims again under
//   the same owner (cache.ts); the key then names the taker itself;
// - on a sharded group, the shard holding the key answered, another shard failed, and the whole
//   claim is sent again under the same owner (sharded.ts);
// - the lost claim is given back (a release of every bucket it may have written to), and the key's
//   field then names a released owner;
// - the taker settles the doubt (the dead owner committed) and then dies too, before its complete (a
//   Lambda timeout): the key then names a second dead owner, which never committed.
// claim-1.lua now records a taken-over key's dead owners in its bucket (`?<id>`), and answers the key
// in doubt about all of them. In each case the key must stay in doubt, so the dead owner's commit marker withholds it. Found in
// review: each case processed the key a second time. DynamoDB Local, real Redis (and the Cluster).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import {
  claimAndDie,
  commitAndDieBeforeComplete,
  fakeContext,
  guardedConsumer,
  orders,
} from '#test/support/guarded.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

describe('a key in doubt whose taker never settled the doubt where Redis can see it', () => {
  const { store, runner } = useCheckpointStore();

  /** `group`'s invocation of `key` commits and dies before its complete (over `shards` shards). */
  const diesAfterCommitting = (group: string, key: string, shards: number) =>
    commitAndDieBeforeComplete(
      { consumerGroup: group, cache: runner, cacheShards: shards, checkpoints: store },
      key,
    );

  /**
   * The runner, except that while `lose(reply)` says so, a claim's reply is lost after the script
   * ran in Redis (as a connection reset after the call would); one reply at most is lost.
   */
  function losingClaimReplies(lose: (reply: unknown) => boolean): ScriptRunner {
    let left = 1;
    return {
      kind: runner.kind,
      close: async () => {},
      run: async (script, keys, args) => {
        const reply = await runner.run(script, keys, args);
        if (script.name === 'claim' && left > 0 && lose(reply)) {
          left--;
          throw new CacheUnavailableError('injected: the connection reset before the claim reply');
        }
        return reply;
      },
    };
  }

  /** A consumer of `group` over `shards` hash tags whose first claim reply that `lose` picks is lost. */
  const losingOneClaimReply = (
    group: string,
    shards: number,
    lose: (reply: unknown) => boolean = () => true,
  ) =>
    guardedConsumer({
      consumerGroup: group,
      cache: losingClaimReplies(lose),
      cacheShards: shards,
      checkpoints: store,
    });

  it('keeps the key in doubt when the claim is sent again under the same owner (G1)', async () => {
    // Prepare: a dead owner committed 'k'. The claim of its producer duplicate runs in Redis (it
    // takes 'k' over from the dead owner) and its reply is lost.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k', TEST_CACHE_SHARDS);
    const c = losingOneClaimReply(group, TEST_CACHE_SHARDS);

    // Act: the claim is sent again (same owner) within the invocation.
    const response = await c.invoke(orders('orders', 1, 0, ['k', 'n']));

    // Assess: 'k' is withheld (the dead owner committed it); only 'n' was processed.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['n']);
  });

  it('keeps the key in doubt when another shard of the claim failed and the claim is sent again (G1)', async () => {
    // Prepare: a group over 4 hash tags. A dead owner committed 'k'. The claim of its producer
    // duplicate, with eight other keys, succeeds on the shard holding 'k' (which answers it in
    // doubt) and fails on another shard.
    const group = uniqueName('grp');
    const shards = Math.max(4, TEST_CACHE_SHARDS);
    await diesAfterCommitting(group, 'k', shards);
    const others = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'];
    // A shard's reply holding no key in doubt is lost: the shard of 'k' answers, the others fail.
    const c = losingOneClaimReply(group, shards, (reply) => !String((reply as unknown[])[0]).includes('E'));

    // Act
    const response = await c.invoke(orders('orders', 1, 0, ['k', ...others]));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(others);
  });

  it('keeps the key in doubt when the claim whose reply was lost is given back (G1)', async () => {
    // Prepare: a dead owner committed 'k'. The claim of its producer duplicate takes 'k' over and
    // its reply is lost; the invocation has no time left to claim again, so it gives the lost claim
    // back (a release of the buckets it may have written to) and fails.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k', TEST_CACHE_SHARDS);
    const c = losingOneClaimReply(group, TEST_CACHE_SHARDS);
    const duplicate = orders('orders', 1, 0, ['k', 'n']);

    // Act: the invocation fails (no time to wait for the cache: remaining 5 s is all reserve); the
    // retry sends the lost claim's release first, then claims.
    await expect(c.invoke(duplicate, fakeContext(5_000))).rejects.toThrow(CacheUnavailableError);
    const retry = await c.invoke(duplicate);

    // Assess: 'k' is still in doubt for the retry, and proven done.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['n']);
  });

  it('keeps the key in doubt when the invocation that took it over dies before its complete too (G1)', async () => {
    // Prepare: a dead owner committed 'k'. The next invocation takes 'k' over, proves it done, and
    // then dies too (a Lambda timeout in its handler: no complete, no release). Its own lease runs
    // out, so the key's field names a second dead owner, which never committed anything.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k', TEST_CACHE_SHARDS);
    const options = {
      consumerGroup: group,
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: store,
    };
    await claimAndDie(options, orders('orders', 1, 0, ['k', 'n']), 300);
    await sleep(400);
    const c = guardedConsumer(options);

    // Act: the redelivery of the batch the second invocation died on.
    const retry = await c.invoke(orders('orders', 1, 0, ['k', 'n']));

    // Assess: 'k' is withheld (the first dead owner committed it); 'n' is processed.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['n']);
  });
});
