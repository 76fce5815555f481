import { batchOutcomes } from '../dedup/outcomes.ts';
import { checkpointUpdates } from '../dedup/watermark.ts';
import { toBatchItemFailures } from '../msk/index.ts';
import type { AdmittedBatch } from './admit.ts';
import type { GuardState } from './guard-state.ts';

/**
 * After the handler: outcomes (dedup/outcomes.ts) → complete (dedup/cache.ts) and checkpoint
 * (dedup/watermark.ts), one round trip each → the partial-batch response Lambda reads.
 */
export async function settle(
  state: GuardState,
  admitted: AdmittedBatch,
  response: unknown,
): Promise<unknown> {
  const started = performance.now();
  const handlerRetry = admitted.handler.retryFrom(response);
  const unreturned = admitted.handler.unreturnedFailures(response);
  if (unreturned !== undefined) state.telemetry.unreturnedFailures(unreturned);
  if (typeof handlerRetry === 'string') {
    state.telemetry.invalidResponse(handlerRetry);
    await abandon(state, admitted);
    return response;
  }
  const { batch, fates, ticket, effects } = admitted;
  const { completed, released, retry } = batchOutcomes(batch, fates, handlerRetry, admitted.repaired);
  const updates = state.watermark.enabled
    ? checkpointUpdates(batch, admitted.watermarks, retry, admitted.skipped)
    : [];
  // The commit marker says "every key this owner leased is done" (in-doubt keys of a dead owner are
  // then duplicates). An owner that gives keys back has not done them all: no marker, so should
  // its leases expire unreleased, its keys are processed again rather than lost (G2; decision 0014).
  const owner = released.length === 0 ? ticket?.owner : undefined;
  const checkpoint = () => state.watermark.advance(updates, { ...admitted, owner, effects });
  const complete = () => (ticket ? state.cache.complete(ticket, completed, released) : Promise.resolve());
  // Effects commit with the checkpoints: complete only after they are durable, or a crash in
  // between would leave keys COMPLETED whose effects were never written.
  if (effects.length > 0) await checkpoint().then(complete);
  else {
    // Both answered before a failed checkpoint is rethrown: the onError that follows gives the
    // leases back, and over Upstash (separate requests) a release may otherwise overtake the
    // complete still in flight, and undo it (the keys' records would run again).
    const [, written] = await Promise.allSettled([complete(), checkpoint()]);
    if (written.status === 'rejected') throw written.reason;
  }
  state.local.remember(completed);
  state.telemetry.settled(admitted.report, {
    completed: completed.length,
    released: released.length,
    updates,
    ms: performance.now() - started,
  });
  if (retry.size === 0) return response;
  return toBatchItemFailures([...retry].map(([partitionKey, offset]) => ({ partitionKey, offset })));
}

/** The handler threw (or its response is unusable): give every lease back so a retry can process. */
export async function abandon(state: GuardState, admitted: AdmittedBatch): Promise<void> {
  if (admitted.ticket) await state.giveBack(admitted.ticket, admitted.fates, admitted.repaired);
}
