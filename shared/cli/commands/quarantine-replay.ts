import { userInfo } from 'node:os';
import { QUARANTINE_EXIT_CODES } from '../../quarantine/cli-help.ts';
import type { ReplayOptions } from '../../quarantine/cli-options.ts';
import { QuarantineRecordNotFoundError } from '../../quarantine/errors.ts';
import { type ReplayOutcome, replayRecords, unreplayableReason } from '../../quarantine/replay.ts';
import type { QuarantineStore } from '../../quarantine/store.ts';
import { type QuarantinedRecord, QuarantineStatus } from '../../quarantine/types.ts';
import { asJson, type QuarantineCliDeps, summaryRows, withStore } from './quarantine-context.ts';

/** What to check when no broker answers (BrokersUnreachableError), in the command line's terms. */
const BROKERS_HINT =
  'Check --brokers (or KAFKA_BROKERS, MSKGUARD_KAFKA_BROKERS), --kafka-auth (or KAFKA_AUTH) and that this ' +
  'machine reaches the brokers (MSK brokers are inside the VPC: run from there or through a bastion). ' +
  'Nothing was produced.';

/** The records a replay selects: by --id (all must exist), else the group's QUARANTINED ones. */
async function selectForReplay(store: QuarantineStore, options: ReplayOptions): Promise<QuarantinedRecord[]> {
  const { selection } = options;
  if ('ids' in selection) {
    const found = await store.getMany(selection.ids);
    const missing = selection.ids.find((id) => !found.some((r) => r.id === id));
    if (missing) throw new QuarantineRecordNotFoundError(missing);
    return found;
  }
  const { group, limit, since } = selection;
  const listed = await store.list({
    group,
    limit,
    status: QuarantineStatus.Quarantined,
    ...(since ? { since } : {}),
  });
  return store.getMany(listed.map((s) => s.id));
}

function describeOutcome(outcome: ReplayOutcome): string {
  if (outcome.status === 'replayed') return `replayed -> ${outcome.to}`;
  if (outcome.status === 'raced')
    return `produced -> ${outcome.to}, but another replay marked it first (now twice)`;
  return `skipped: ${outcome.reason}`;
}

/** What a dry run would do with each record. */
function dryRunOutcomes(records: readonly QuarantinedRecord[]) {
  return records.map((r) => {
    const reason = unreplayableReason(r);
    return { id: r.id, outcome: reason ? { status: 'skipped', reason } : { status: 'would-replay' } };
  });
}

/** `mskguard quarantine replay`: a dry run, or --execute to re-produce the records. */
export async function replay(
  deps: QuarantineCliDeps,
  options: ReplayOptions,
  json: boolean,
): Promise<number> {
  return withStore(deps, options, async (store) => {
    const records = await selectForReplay(store, options);
    const execute = options.produce !== undefined;
    const answer = (exitCode: number, counts: object, outcomes: readonly object[]) =>
      asJson({ ok: exitCode === 0, exitCode, execute, selected: records.length, ...counts, outcomes });
    if (records.length === 0) {
      deps.out(
        json
          ? answer(0, { replayed: 0, skipped: 0, raced: 0 }, [])
          : 'Nothing to replay: no record in status QUARANTINED matches.',
      );
      return QUARANTINE_EXIT_CODES.ok;
    }
    if (!options.produce) {
      const outcomes = dryRunOutcomes(records);
      for (const { id, outcome } of outcomes)
        if (outcome.status === 'skipped') deps.err(`would skip ${id}: ${outcome.reason}`);
      const skipped = outcomes.filter((o) => o.outcome.status === 'skipped').length;
      if (json) deps.out(answer(0, { replayed: 0, skipped, raced: 0 }, outcomes));
      else {
        deps.out(summaryRows(records).join('\n'));
        deps.out(
          `Dry run: would re-produce ${records.length - skipped} of ${records.length} records to their ` +
            'topic-partition with header mskguard-replay. Nothing was produced; add --execute to replay.',
        );
      }
      return QUARANTINE_EXIT_CODES.ok;
    }
    const { by, ...connection } = options.produce;
    const { Partitioners } = await import('kafkajs');
    const region = options.region;
    const producer = (await deps.kafka({ ...connection, ...(region ? { region } : {}) })).producer({
      allowAutoTopicCreation: false,
      // Every message names its partition; this only silences kafkajs' partitioner-change warning.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const { connectBrokers } = await import('../../restore/clients.ts');
    await connectBrokers(producer, { brokers: connection.brokers, brokersHint: BROKERS_HINT });
    try {
      const summary = await replayRecords(records, {
        producer,
        store,
        by: by ?? userInfo().username,
        onProgress: (done, total, id, outcome) =>
          deps.err(`[${done}/${total}] ${id} ${describeOutcome(outcome)}`),
      });
      const { replayed, skipped, raced } = summary;
      const exitCode = skipped + raced > 0 ? QUARANTINE_EXIT_CODES.incomplete : QUARANTINE_EXIT_CODES.ok;
      deps.out(
        json
          ? answer(exitCode, { replayed, skipped, raced }, summary.outcomes)
          : `replayed ${replayed}, skipped ${skipped}, raced ${raced} (of ${records.length})`,
      );
      return exitCode;
    } finally {
      await producer.disconnect();
    }
  });
}
