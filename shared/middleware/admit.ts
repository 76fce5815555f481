import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { OffsetRange } from '../checkpoints/skipped.ts';
import { claimWhileChecking } from '../dedup/claim.ts';
import { resolveDoubts } from '../dedup/in-doubt.ts';
import { isReplay, planBatch, type RecordFate } from '../dedup/plan.ts';
import type { DedupTicket } from '../dedup/sharded.ts';
import { gapsOf, skippedOf, watermarksOf } from '../dedup/watermark.ts';
import type { DerivedKey } from '../keys/index.ts';
import { type ParsedBatch, parseMskEvent } from '../msk/index.ts';
import { parseMskEventDeferred } from '../msk/parse.ts';
import { quarantineEntries } from '../quarantine/entries.ts';
import { openStaging } from './effects.ts';
import type { GuardState } from './guard-state.ts';
import { type HandlerBatch, handOver } from './handler-batch.ts';
import { type BatchReport, countFates, oldestAgeSeconds, rejectionsOf } from './report.ts';

/** One invocation's state between `admit` and `settle` / `abandon` (kept in `request.internal`). */
export interface AdmittedBatch {
  readonly batch: ParsedBatch;
  /** The fate of each record, aligned with `batch.records`. */
  readonly fates: readonly RecordFate[];
  readonly epoch: number;
  readonly watermarks: ReadonlyMap<string, number>;
  /** Offsets below the watermarks that were never processed (decision 0018). */
  readonly skipped: ReadonlyMap<string, readonly OffsetRange[]>;
  readonly ticket: DedupTicket | undefined;
  /** Keys a dead invocation was proven to have committed: leased here only to be completed. */
  readonly repaired: readonly DerivedKey[];
  readonly handler: HandlerBatch;
  /** DynamoDB writes the handler staged (`stageEffects`): committed with the checkpoints. */
  readonly effects: readonly TransactWriteItem[];
  readonly requestId: string;
  readonly report: BatchReport;
}

/**
 * Before the handler: parse (msk/parse.ts) → keys and in-batch duplicates (dedup/batch-keys.ts) →
 * watermark read and claim in flight together (dedup/claim.ts) → in-doubt keys (dedup/in-doubt.ts)
 * → plan (dedup/plan.ts) → quarantine → the hand-over (handler-batch.ts). One DynamoDB and one
 * Redis round trip.
 */
export async function admit(state: GuardState, event: unknown, context: Context): Promise<AdmittedBatch> {
  const started = performance.now();
  const { mode, consumerGroup } = state.resolved;
  const { batch, verify } = state.checkBeforeKeys
    ? { batch: parseMskEvent(event), verify: undefined }
    : parseMskEventDeferred(event);
  const watermarkRead = state.watermark.read(batch.partitions);
  // Awaited with the claim (dedup/claim.ts). Should the keys fail first (malformed headers), its
  // rejection would go unhandled, and Lambda's Node runtime ends the container on one.
  watermarkRead.catch(() => {});
  // A replayed quarantined record is claimed exactly: Bloom signals alone never quarantine it again.
  const claimMode = mode === 'probabilistic' && batch.records.some(isReplay) ? 'exact' : mode;
  // The epoch these keys are derived with: another invocation of this container may learn a newer
  // one meanwhile, so the comparison below is with this, not with `state.epoch`.
  const keyedEpoch = state.epoch;
  let keys = state.keysOf(batch, keyedEpoch, claimMode, verify);
  const timing = state.timing(context);
  const sent = await claimWhileChecking({
    cache: state.cache,
    local: state.local,
    watermarkRead,
    keys,
    timing,
    mode: claimMode,
    verify,
  });
  const snapshot = sent.snapshot;
  const watermarks = watermarksOf(snapshot);
  const skipped = skippedOf(snapshot);
  let claim = sent.claim;
  let fates: RecordFate[] | undefined;
  let repaired: readonly DerivedKey[] = [];
  try {
    if (snapshot.epoch !== keyedEpoch) {
      // A `reprocess` restore bumped the epoch: the keys change, so the claim is redone.
      if (claim.ticket) await state.cache.release(claim.ticket);
      claim = { ...claim, ticket: undefined };
      state.epoch = snapshot.epoch;
      keys = state.keysOf(batch, snapshot.epoch, claimMode);
      claim = await state.cache.claim(keys.claimKeys, timing, claimMode);
    }
    keys.applyClaim(claim.statuses);
    if (claim.degraded) keys.markClaimedSeen((key) => state.local.has(key));
    repaired =
      claim.inDoubt.length === 0
        ? []
        : resolveDoubts(
            claim.inDoubt,
            await state.watermark.committedOwners(claim.inDoubt.map((d) => d.owner)),
            keys,
          );
    const deriver = state.deriver(snapshot.epoch);
    fates = planBatch({
      batch,
      watermarks,
      skipped,
      keys,
      mode,
      claimMode,
      degraded: claim.degraded,
      onMissingKey: state.resolved.onMissingKey,
      missingKeyError: (record) => deriver.missingKeyError({ missing: true, record }),
    });
    // A record is withheld only once it is stored (G2): on failure the batch fails.
    const entries = quarantineEntries(consumerGroup, batch, fates);
    if (entries.length > 0) state.telemetry.quarantined(await state.options.quarantine?.put(entries));
  } catch (error) {
    // Whatever fails after the claim gives its leases back, so the redelivery need not wait them out
    // (G5). Without a plan nothing is known to be repaired: all of them go back, the keys in doubt to
    // their dead owners, whose commit the redelivery then asks about again (G1; decision 0006).
    if (claim.ticket) {
      await (fates
        ? state.giveBack(claim.ticket, fates, repaired)
        : state.cache.release(claim.ticket, claim.inDoubt));
    }
    throw error;
  }
  const report: BatchReport = {
    records: batch.records.length,
    counts: countFates(fates),
    rejections: rejectionsOf(fates),
    degraded: claim.degraded,
    leaseWaitMs: claim.waitedMs,
    checkpointAgeSeconds: oldestAgeSeconds([...snapshot.checkpoints.values()].map((c) => c.updatedAt)),
    gaps: gapsOf(batch, watermarks),
    dedupMs: performance.now() - started,
  };
  state.telemetry.prepared(report);
  return {
    batch,
    fates,
    epoch: snapshot.epoch,
    watermarks,
    skipped,
    ticket: claim.ticket,
    repaired,
    handler: handOver(batch, fates),
    effects: state.watermark.enabled ? openStaging(context, batch.partitions.length) : [],
    requestId: context.awsRequestId,
    report,
  };
}
