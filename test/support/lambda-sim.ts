import type { Context } from 'aws-lambda';
import {
  encodeKafkaEvent,
  interpretBatchResponse,
  type KafkaRecordInput,
  parseMskEvent,
} from '#shared/msk/index.ts';
import { fakeContext } from './guarded.ts';

/** A promise that never settles: the process "died" at this point (nothing after it runs). */
export function crash(): Promise<never> {
  return new Promise<never>(() => {});
}

/** What one invocation did, as the simulator saw it. */
export type InvocationOutcome = 'success' | 'partial' | 'threw' | 'timed-out';

/** Options of {@link LambdaSimulator}. */
export interface SimulatorOptions {
  /** Records per partition per invocation. @default 20 */
  readonly batchSize?: number;
  /** The invocation's time budget: a handler still running then "timed out" (a crash). @default 1500 */
  readonly timeoutMs?: number;
  /** Invocations before giving up (a stuck pipeline fails the test instead of hanging). @default 200 */
  readonly maxInvocations?: number;
  /**
   * Retries of a partition's batch after a failed attempt before its records go to the on-failure
   * destination and the partition moves on, as the ESM's MaximumRetryAttempts. @default unlimited
   */
  readonly retryAttempts?: number;
  /** Pause before the n-th retry (1-based) of a failed batch, ms. @default none */
  readonly retryDelayMs?: (attempt: number) => number;
}

/**
 * Lambda's Kafka poller, reduced to what the fault suites need and kept in memory: per-partition
 * logs, committed offsets that move only after a successful (or partially successful) invocation,
 * redelivery from the committed offset after a throw or a timeout, and the partial-batch response
 * honoured per partition. A handler that never returns is a crashed invocation: after `timeoutMs`
 * the simulator moves on, as Lambda does when a function times out. The lease the middleware took
 * is the context's remaining time, so it has expired by then.
 */
export class LambdaSimulator {
  public readonly committed = new Map<number, number>();
  public readonly outcomes: InvocationOutcome[] = [];
  /** Records sent to the on-failure destination (retries exhausted): each one unprocessed by the handler. */
  public readonly onFailure: KafkaRecordInput[] = [];
  /** The longest time a partition stayed on one offset after a failed attempt, ms. */
  public longestWaitMs = 0;
  readonly #failedSince = new Map<number, { offset: number; at: number; attempts: number }>();
  readonly #logs = new Map<number, KafkaRecordInput[]>();
  readonly #batchSize: number;
  readonly #timeoutMs: number;
  readonly #maxInvocations: number;

  public constructor(
    public readonly topic: string,
    options: SimulatorOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 20;
    this.#timeoutMs = options.timeoutMs ?? 1500;
    this.#maxInvocations = options.maxInvocations ?? 200;
    this.#retryAttempts = options.retryAttempts ?? Number.POSITIVE_INFINITY;
    this.#retryDelayMs = options.retryDelayMs;
  }

  readonly #retryAttempts: number;
  readonly #retryDelayMs: ((attempt: number) => number) | undefined;

  /** Appends records (key = business key, also in the idempotency-key header) to a partition. */
  public produce(partition: number, businessKeys: readonly string[]): void {
    const log = this.#logs.get(partition) ?? [];
    for (const key of businessKeys) {
      log.push({
        topic: this.topic,
        partition,
        offset: log.length,
        key,
        value: JSON.stringify({ orderId: key }),
        headers: [{ name: 'idempotency-key', value: key }],
      });
    }
    this.#logs.set(partition, log);
    if (!this.committed.has(partition)) this.committed.set(partition, 0);
  }

  /** Whether every partition's committed offset is at its end. */
  public get drained(): boolean {
    return [...this.#logs].every(([p, log]) => (this.committed.get(p) ?? 0) >= log.length);
  }

  /** One invocation with the next batch of every partition that has records left. */
  public async invokeOnce(
    handler: (event: unknown, context: Context) => Promise<unknown>,
  ): Promise<InvocationOutcome | undefined> {
    const records = [...this.#logs].flatMap(([p, log]) =>
      log.slice(this.committed.get(p) ?? 0, (this.committed.get(p) ?? 0) + this.#batchSize),
    );
    if (records.length === 0) return undefined;
    const event = encodeKafkaEvent(records);
    const timeout = new Promise<'timed-out'>((resolve) =>
      setTimeout(() => resolve('timed-out'), this.#timeoutMs),
    );
    const run = handler(event, fakeContext(this.#timeoutMs)).then(
      (response) => ({ response }),
      () => 'threw' as const,
    );
    const result = await Promise.race([run, timeout]);
    let outcome: InvocationOutcome;
    const batch = parseMskEvent(event);
    if (result === 'timed-out' || result === 'threw') {
      outcome = result;
      for (const part of batch.partitions)
        this.#attemptFailed(part.partition, part.records.at(-1)!.offset + 1);
    } else {
      const verdict = interpretBatchResponse(batch, result.response);
      for (const part of batch.partitions) {
        const last = part.records[part.records.length - 1]!;
        const from =
          verdict.status === 'invalid' ? part.records[0]!.offset : verdict.retryFrom.get(part.partitionKey);
        if (from === undefined) this.#advance(part.partition, last.offset + 1);
        else {
          this.#advance(part.partition, from);
          this.#attemptFailed(part.partition, last.offset + 1);
        }
      }
      outcome = verdict.status === 'success' ? 'success' : 'partial';
    }
    this.outcomes.push(outcome);
    return outcome;
  }

  /** Commits a partition up to `offset`; a partition that moves past a failed offset stops waiting. */
  #advance(partition: number, offset: number): void {
    if (offset <= (this.committed.get(partition) ?? 0)) return;
    this.committed.set(partition, offset);
    const failed = this.#failedSince.get(partition);
    if (failed && offset > failed.offset) {
      this.longestWaitMs = Math.max(this.longestWaitMs, performance.now() - failed.at);
      this.#failedSince.delete(partition);
    }
  }

  /**
   * One more failed attempt at a partition's committed offset. Past the retry budget its records
   * up to `batchEnd` go to the on-failure destination and the partition moves on, as Lambda does.
   */
  #attemptFailed(partition: number, batchEnd: number): void {
    const offset = this.committed.get(partition) ?? 0;
    const failed = this.#failedSince.get(partition);
    const state =
      failed && failed.offset === offset ? failed : { offset, at: performance.now(), attempts: 0 };
    state.attempts++;
    this.#failedSince.set(partition, state);
    if (state.attempts > this.#retryAttempts) {
      this.onFailure.push(...(this.#logs.get(partition) ?? []).slice(offset, batchEnd));
      this.#advance(partition, batchEnd);
    }
  }

  /** The pause before the next invocation: the longest retry delay of a partition waiting on a failure. */
  #retryPause(): number {
    if (!this.#retryDelayMs) return 0;
    let pause = 0;
    for (const failed of this.#failedSince.values())
      pause = Math.max(pause, this.#retryDelayMs(failed.attempts));
    return pause;
  }

  /** Invokes until every partition is drained; `between` runs before each invocation (fault injection). */
  public async drain(
    handler: (event: unknown, context: Context) => Promise<unknown>,
    between?: (invocation: number) => Promise<void> | void,
  ): Promise<void> {
    for (let i = 0; !this.drained; i++) {
      if (i >= this.#maxInvocations)
        throw new Error(`not drained after ${i} invocations: ${this.outcomes.join(',')}`);
      await between?.(i);
      const pause = this.#retryPause();
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      await this.invokeOnce(handler);
    }
  }

  /** Sets every partition's committed offset (an operator mistake, a lost group, or a restore). */
  public setCommitted(
    offsets: ReadonlyMap<number, number> | ((partition: number, end: number) => number),
  ): void {
    for (const [p, log] of this.#logs) {
      this.committed.set(p, typeof offsets === 'function' ? offsets(p, log.length) : (offsets.get(p) ?? 0));
    }
  }
}
