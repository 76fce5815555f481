import type { IHeaders, Message, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { KafkaHeader } from '../msk/types.ts';
import { ReplayNotMarkedError, ReplaySendError } from './errors.ts';
import type { QuarantineStore } from './store.ts';
import { type QuarantinedRecord, QuarantineStatus } from './types.ts';

/**
 * Header added to every replayed record, valued with the quarantine id. The middleware must not
 * quarantine a record carrying it on a Bloom hit alone (the replay is the operator's verdict), or
 * a replay would land back in quarantine.
 */
export const REPLAY_HEADER = 'mskguard-replay';

/** The one producer call replay makes (kafkajs' `Producer` satisfies it). */
export interface ReplayProducer {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
}

/** What happened to one record. */
export type ReplayOutcome =
  | { readonly status: 'replayed'; readonly to: string }
  | { readonly status: 'skipped'; readonly reason: string }
  /** Produced, but someone else marked it replayed meanwhile: it now exists twice on the topic. */
  | { readonly status: 'raced'; readonly to: string };

/** Outcomes of a replay (skips first, then produced records by partition) and their counts. */
export interface ReplaySummary {
  readonly outcomes: readonly { readonly id: string; readonly outcome: ReplayOutcome }[];
  readonly replayed: number;
  readonly skipped: number;
  readonly raced: number;
}

/** Dependencies of {@link replayRecords}. */
export interface ReplayDeps {
  readonly producer: ReplayProducer;
  readonly store: Pick<QuarantineStore, 'markReplayed'>;
  /** Who replays (recorded on the item): an operator name or a request id. */
  readonly by: string;
  /** Called after each record. */
  readonly onProgress?: (done: number, total: number, id: string, outcome: ReplayOutcome) => void;
}

const SEND_BATCH = 100;

/** Why a record cannot be replayed as it is stored, or undefined when it can. */
export function unreplayableReason(record: QuarantinedRecord): string | undefined {
  if (record.status !== QuarantineStatus.Quarantined) {
    return `already ${record.status.toLowerCase()}${record.replayedAt ? ` at ${record.replayedAt}` : ''}`;
  }
  if (record.truncated) {
    return (
      `payload over DynamoDB's 400 KB item limit was stored truncated (value ${record.sizes.value} bytes): ` +
      `re-read ${record.topic}-${record.partition}@${record.offset} from Kafka while retention lasts`
    );
  }
  return undefined;
}

/**
 * Kafka headers in kafkajs' shape. kafkajs cannot send a null header value, so one is sent empty;
 * headers of one name keep their relative order.
 */
function toKafkajsHeaders(headers: readonly KafkaHeader[], id: string): IHeaders {
  const out: Record<string, Buffer[]> = {};
  for (const h of headers) out[h.name] = [...(out[h.name] ?? []), h.value ?? Buffer.alloc(0)];
  out[REPLAY_HEADER] = [...(out[REPLAY_HEADER] ?? []), Buffer.from(id)];
  return Object.fromEntries(
    Object.entries(out).map(([name, values]) => [name, values.length === 1 ? values[0] : values]),
  );
}

function toMessage(record: QuarantinedRecord): Message {
  return {
    partition: record.partition,
    key: record.key === null ? null : Buffer.from(record.key, 'base64'),
    value: record.value === null ? null : Buffer.from(record.value, 'base64'),
    headers: toKafkajsHeaders(record.headers, record.id),
  };
}

/**
 * Re-produces quarantined records to their original topic and partition (same key, value and
 * headers, plus {@link REPLAY_HEADER}), then marks each replayed. Records already replayed or
 * stored truncated are skipped. Sends up to 100 records of one partition per request (acks: all).
 *
 * @example
 * ```ts
 * const records = await store.getMany(ids);
 * const summary = await replayRecords(records, { producer, store, by: 'alice' });
 * console.log(`replayed ${summary.replayed}, skipped ${summary.skipped}`);
 * ```
 */
export async function replayRecords(
  records: readonly QuarantinedRecord[],
  deps: ReplayDeps,
): Promise<ReplaySummary> {
  const outcomes: { id: string; outcome: ReplayOutcome }[] = [];
  const report = (id: string, outcome: ReplayOutcome) => {
    outcomes.push({ id, outcome });
    deps.onProgress?.(outcomes.length, records.length, id, outcome);
  };
  const batches = new Map<string, QuarantinedRecord[]>();
  for (const record of records) {
    const reason = unreplayableReason(record);
    if (reason) {
      report(record.id, { status: 'skipped', reason });
      continue;
    }
    const key = `${record.topic}-${record.partition}`;
    batches.set(key, [...(batches.get(key) ?? []), record]);
  }
  for (const batch of batches.values()) {
    for (let start = 0; start < batch.length; start += SEND_BATCH) {
      const slice = batch.slice(start, start + SEND_BATCH);
      const first = slice[0] as QuarantinedRecord;
      let meta: RecordMetadata | undefined;
      try {
        [meta] = await deps.producer.send({ topic: first.topic, acks: -1, messages: slice.map(toMessage) });
      } catch (error) {
        // A timeout does not say whether the broker wrote the slice: name it as uncertain (a rerun
        // could produce it twice), apart from what is done and what was never sent.
        const sent = new Set([...outcomes.map((o) => o.id), ...slice.map((r) => r.id)]);
        throw new ReplaySendError(
          `${first.topic}-${first.partition}`,
          {
            uncertain: slice.map((r) => r.id),
            replayed: outcomes.filter((o) => o.outcome.status !== 'skipped').map((o) => o.id),
            unsent: [...batches.values()].flat().flatMap((r) => (sent.has(r.id) ? [] : [r.id])),
          },
          error,
        );
      }
      const base = BigInt(meta?.baseOffset ?? meta?.offset ?? '-1');
      // One request to one partition is one record batch: its records get consecutive offsets.
      const produced = slice.map((record, i) => ({
        id: record.id,
        to:
          base < 0n
            ? `${record.topic}-${record.partition}`
            : `${record.topic}-${record.partition}@${base + BigInt(i)}`,
      }));
      for (const [i, { id, to }] of produced.entries()) {
        let marked: boolean;
        try {
          marked = await deps.store.markReplayed(id, { by: deps.by, to });
        } catch (error) {
          // Already produced: a retry of the replay would produce these a second time.
          throw new ReplayNotMarkedError(produced.slice(i), error);
        }
        report(id, { status: marked ? 'replayed' : 'raced', to });
      }
    }
  }
  const count = (status: ReplayOutcome['status']) =>
    outcomes.filter((o) => o.outcome.status === status).length;
  return { outcomes, replayed: count('replayed'), skipped: count('skipped'), raced: count('raced') };
}
