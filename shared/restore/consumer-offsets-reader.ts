import type { Admin, Consumer, Kafka } from 'kafkajs';
import { MskGuardError } from '../errors.ts';
import {
  CONSUMER_OFFSETS_TOPIC,
  consumerOffsetsPartitionFor,
  decodeOffsetCommitRecord,
  type OffsetCommitRecord,
} from './consumer-offsets-codec.ts';
import type { ProgressSink } from './types.ts';

/** The scan of `__consumer_offsets` did not finish within its bound. */
export class ConsumerOffsetsScanError extends MskGuardError {}

/** What a scan found: per partition of the restored topic, the last commit at or before `at`. */
export interface LastCommits {
  readonly commits: ReadonlyMap<number, OffsetCommitRecord>;
  /** The `__consumer_offsets` partition that was read. */
  readonly scannedPartition: number;
  readonly scannedRecords: number;
  /** The scan read every record below the high watermark it saw at start. */
  readonly complete: boolean;
  readonly notes: readonly string[];
}

/** Reads a group's past commits. */
export interface ConsumerOffsetsReader {
  lastCommitsAt(group: string, topic: string, at: Date, progress?: ProgressSink): Promise<LastCommits>;
}

/**
 * The consumer group the scan reads with. kafkajs consumers always join a group; a fixed name per
 * restored group keeps IAM grants exact (it matches `restoreScratchGroup` of the CDK construct).
 * The scan never commits, so the group holds no offsets and the coordinator drops it when empty.
 */
export function scratchGroupFor(group: string): string {
  return `mskguard-restore.${group}`;
}

/** Options of {@link KafkaConsumerOffsetsReader}. */
export interface KafkaConsumerOffsetsReaderOptions {
  /** @default scratchGroupFor */
  readonly scratchGroup?: (group: string) => string;
  /** Whole-scan bound. @default 300_000 */
  readonly timeoutMs?: number;
  /**
   * Stop when the scanned partition yields nothing for this long although the high watermark is
   * not reached (compacted tail, trailing transaction markers). @default 10_000
   */
  readonly idleMs?: number;
}

/**
 * Scans `__consumer_offsets` with a kafkajs consumer from the log start up to the high watermark
 * read at start (later commits are not wanted: they happened after the loss), reading only the
 * partition that holds the group, and keeps per partition the commit with the highest log offset
 * whose commit timestamp is at or before `at`. GroupMetadata records and tombstones are skipped.
 *
 * @example
 * ```ts
 * const reader = new KafkaConsumerOffsetsReader(kafka, admin);
 * const { commits } = await reader.lastCommitsAt('orders', 'orders', new Date(), console.error);
 * ```
 */
export class KafkaConsumerOffsetsReader implements ConsumerOffsetsReader {
  private readonly options: Required<KafkaConsumerOffsetsReaderOptions>;

  public constructor(
    private readonly kafka: Kafka,
    private readonly admin: Pick<Admin, 'fetchTopicOffsets'>,
    options: KafkaConsumerOffsetsReaderOptions = {},
  ) {
    this.options = { scratchGroup: scratchGroupFor, timeoutMs: 300_000, idleMs: 10_000, ...options };
  }

  public async lastCommitsAt(
    group: string,
    topic: string,
    at: Date,
    progress?: ProgressSink,
  ): Promise<LastCommits> {
    const ranges = await this.admin.fetchTopicOffsets(CONSUMER_OFFSETS_TOPIC);
    const partition = consumerOffsetsPartitionFor(group, ranges.length);
    const range = ranges.find((r) => r.partition === partition);
    const low = Number(range?.low ?? 0);
    const high = Number(range?.high ?? 0);
    if (high <= low) {
      return {
        commits: new Map(),
        scannedPartition: partition,
        scannedRecords: 0,
        complete: true,
        notes: [
          `${CONSUMER_OFFSETS_TOPIC}-${partition} is empty: no commits of group ${group} are retained.`,
        ],
      };
    }
    progress?.(
      `scanning ${CONSUMER_OFFSETS_TOPIC}-${partition} offsets ${low}..${high - 1} for group ${group}`,
    );
    const consumer = this.kafka.consumer({
      groupId: this.options.scratchGroup(group),
      maxWaitTimeInMs: 500,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    try {
      return await this.scan(consumer, { group, topic, atMs: at.getTime(), partition, low, high }, progress);
    } finally {
      await consumer.disconnect();
    }
  }

  private async scan(
    consumer: Consumer,
    s: { group: string; topic: string; atMs: number; partition: number; low: number; high: number },
    progress?: ProgressSink,
  ): Promise<LastCommits> {
    const commits = new Map<number, OffsetCommitRecord & { logOffset: number }>();
    let position = s.low;
    let scanned = 0;
    let lastReport = 0;
    let finish: (complete: boolean) => void = () => {};
    let fail: (error: unknown) => void = () => {};
    const finished = new Promise<boolean>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(false), this.options.idleMs);
    };
    let reportedAt = -1;
    const report = (force: boolean) => {
      if (!progress || reportedAt === position || (!force && Date.now() - lastReport < 1000)) return;
      lastReport = Date.now();
      reportedAt = position;
      const pct = Math.min(100, Math.round(((position - s.low) / (s.high - s.low)) * 100));
      progress(
        `scanned ${scanned} record(s), offset ${position}/${s.high} (${pct}%), ${commits.size} partition(s) found`,
      );
    };
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.partition !== s.partition) return;
      position = Math.max(position, Number(payload.lastOffset) + 1);
      armIdle();
      report(false);
      if (position >= s.high) finish(true);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
    await consumer.subscribe({ topic: CONSUMER_OFFSETS_TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== s.partition) {
          consumer.pause([{ topic: CONSUMER_OFFSETS_TOPIC, partitions: [batch.partition] }]);
          return;
        }
        for (const message of batch.messages) {
          const logOffset = Number(message.offset);
          if (logOffset >= s.high) break;
          scanned++;
          const commit = this.match(message.key, message.value, s);
          const kept = commit && commits.get(commit.partition);
          if (commit && (!kept || kept.logOffset < logOffset))
            commits.set(commit.partition, { ...commit, logOffset });
        }
      },
    });
    // The scratch group never commits, so it starts at the log start anyway; seeking makes sure.
    consumer.seek({ topic: CONSUMER_OFFSETS_TOPIC, partition: s.partition, offset: String(s.low) });
    armIdle();
    const timeout = setTimeout(
      () =>
        fail(
          new ConsumerOffsetsScanError(
            `Scan of ${CONSUMER_OFFSETS_TOPIC} did not finish in ${this.options.timeoutMs} ms (at offset ${position} of ${s.high}). Retry, or use another strategy.`,
          ),
        ),
      this.options.timeoutMs,
    );
    try {
      const complete = await finished;
      report(true);
      const notes = complete
        ? []
        : [
            `scan stopped at offset ${position} of ${s.high} after ${this.options.idleMs} ms without records (compacted tail or transaction markers).`,
          ];
      return { commits, scannedPartition: s.partition, scannedRecords: scanned, complete, notes };
    } finally {
      clearTimeout(timeout);
      clearTimeout(idle);
    }
  }

  private match(
    key: Buffer | null,
    value: Buffer | null,
    s: { group: string; topic: string; atMs: number },
  ): OffsetCommitRecord | null {
    // Tombstones (null value) mark deleted or expired offsets: the commits before them are what
    // restore wants back. Only this group's keys are decoded further, so another group's record in
    // an unknown format cannot fail the scan.
    const record = decodeOffsetCommitRecord(key, value, (k) => k.group === s.group && k.topic === s.topic);
    return record && record.commitTimestamp <= s.atMs ? record : null;
  }
}
