import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { type AfterSuccess, type InvokedEvent, LambdaKafkaPoller } from '#local/poller/index.ts';
import { LOCAL_AWS } from '#local/services.ts';
import type { StackEndpoints } from '#local/stack-config.ts';
import { ensureTables, type TableNames } from '#local/tables.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import { OutageableRunner } from './cache-outage.ts';
import { createLocalConsumer, type LocalConsumer, SimulatedFaultError } from './consumer.ts';
import { LocalRunError } from './faults.ts';
import type { ProgressSnapshot } from './progress.ts';
import { RedeliveryInjector } from './redeliveries.ts';
import { LocalWatchdog } from './watchdog.ts';

/** The settings a session runs with (defaults applied by `runLocalPipeline`). */
export interface SessionSettings {
  readonly endpoints: StackEndpoints;
  readonly tables: TableNames;
  readonly topic: string;
  readonly group: string;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly cache: 'upstash' | 'resp';
  readonly stallTimeoutMs: number;
  readonly redeliveryBudget: number;
  readonly produced: number;
  readonly note: (line: string) => void;
  /** Real milliseconds between two watchdog runs. @default 250 */
  readonly watchdogIntervalMs?: number;
}

/**
 * The clients, the guarded consumer and the current poller of one local run, and what they
 * observed: committed offsets, invocations, latencies. Pollers come and go (crash, offset loss);
 * the consumer, like a warm Lambda container, stays.
 */
export class LocalSession {
  public readonly admin: Admin;
  public readonly producer: Producer;
  public readonly dynamodb: DynamoDBClient;
  public readonly checkpoints: DynamoCheckpointStore;
  public readonly consumer: LocalConsumer;
  public readonly injector: RedeliveryInjector;
  public readonly committed = new Map<number, number>();
  public readonly latencies: number[] = [];
  public invocations = 0;
  public retries = 0;
  public onFailureBatches = 0;
  public consumeMs = 0;
  public crashed: InvokedEvent | undefined;
  /** Every EMF line the guard and the watchdog printed, in order (what CloudWatch Logs would receive). */
  public readonly emf: string[] = [];
  /** The dedup cache as the guard sees it; `cache.down = true` cuts it off. */
  public readonly cache: OutageableRunner;
  public readonly watchdog: LocalWatchdog;
  #crashArmed = false;
  #poller: LambdaKafkaPoller | undefined;
  /** When `#poller` last came or went: the emulated mapping's LastModified (decision 0024). */
  #mappingChangedAt: Date | undefined;
  #unexpectedStop: string | undefined;
  readonly #runner: ScriptRunner;
  readonly #emf = (line: string) => {
    this.emf.push(line);
  };
  readonly #settings: SessionSettings;

  public constructor(settings: SessionSettings) {
    this.#settings = settings;
    const { endpoints } = settings;
    const kafka = new Kafka({
      clientId: 'mskguard-local',
      brokers: [endpoints.KAFKA_BROKERS],
      logLevel: logLevel.NOTHING,
    });
    this.admin = kafka.admin();
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    this.dynamodb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.DYNAMODB_ENDPOINT });
    this.checkpoints = new DynamoCheckpointStore(this.dynamodb, settings.tables.checkpoints);
    this.#runner =
      settings.cache === 'resp'
        ? new RespScriptRunner({ url: endpoints.REDIS_URL })
        : new UpstashScriptRunner({
            url: endpoints.UPSTASH_REDIS_REST_URL,
            token: endpoints.UPSTASH_REDIS_REST_TOKEN,
          });
    this.cache = new OutageableRunner(this.#runner);
    this.consumer = createLocalConsumer(
      {
        consumerGroup: settings.group,
        cache: this.cache,
        checkpoints: this.checkpoints,
        // As a deployment that prefers availability would: a cache outage degrades to the watermark
        // and the in-container filter (and pages through the degradedMode alarm).
        onCacheUnavailable: 'degrade',
      },
      this.#emf,
      new QuarantineStore(this.dynamodb, settings.tables.quarantine),
    );
    this.watchdog = new LocalWatchdog({
      group: settings.group,
      topic: settings.topic,
      admin: this.admin,
      dynamodb: this.dynamodb,
      auditTable: settings.tables.audit,
      checkpoints: this.checkpoints,
      polling: () => this.#poller !== undefined,
      lastModified: () => this.#mappingChangedAt,
      emf: this.#emf,
      intervalMs: settings.watchdogIntervalMs ?? 250,
    });
    this.injector = new RedeliveryInjector(settings.redeliveryBudget, settings.produced);
  }

  /** Connects the clients and creates the tables that are missing. */
  public async open(): Promise<void> {
    await Promise.all([this.admin.connect(), this.producer.connect()]);
    await ensureTables(this.dynamodb, this.#settings.tables);
  }

  /** Stops the poller (if any) and closes every client. */
  public async close(): Promise<void> {
    await this.watchdog.stop();
    await this.stopPoller();
    await Promise.allSettled([this.admin.disconnect(), this.producer.disconnect(), this.#runner.close()]);
    this.dynamodb.destroy();
  }

  /** The next successful invocation kills the poller before its commit. */
  public armCrash(): void {
    this.#crashArmed = true;
  }

  /** Starts a new poller in the run's group. */
  public async startPoller(): Promise<LambdaKafkaPoller> {
    const s = this.#settings;
    const poller = new LambdaKafkaPoller({
      brokers: [s.endpoints.KAFKA_BROKERS],
      topic: s.topic,
      groupId: s.group,
      handler: this.consumer.handler,
      batchSize: s.batchSize,
      batchingWindowMs: s.batchingWindowMs,
      retryBackoffMs: 50,
      afterSuccess: (invoked) => this.#afterSuccess(invoked),
    });
    poller.on('invoked', (e) => this.#onInvoked(e));
    poller.on('committed', (e) =>
      this.committed.set(e.partition, Math.max(e.offset, this.committed.get(e.partition) ?? 0)),
    );
    poller.on('retried', () => this.retries++);
    poller.on('failed', (f) => {
      this.onFailureBatches++;
      s.note(
        `on-failure: ${f.topic}-${f.partition}@${f.firstOffset}..${f.lastOffset} skipped after ${f.attempts} attempts`,
      );
    });
    poller.on('problem', (e) => s.note(`poller: ${e.message}`));
    void poller.stopped.then((reason) => {
      if (this.#poller === poller && reason === 'crashed' && !this.crashed) this.#unexpectedStop = reason;
    });
    this.#setPoller(poller);
    this.#unexpectedStop = undefined;
    await poller.start();
    return poller;
  }

  /** Whether a poller is running. */
  public hasPoller(): boolean {
    return this.#poller !== undefined;
  }

  /** Stops the current poller like a disabled mapping (in-flight work finishes and commits). */
  public async stopPoller(): Promise<void> {
    const poller = this.#poller;
    this.#setPoller(undefined);
    await poller?.stop();
  }

  /** Waits until the current poller died of the armed crash. */
  public async waitForCrash(): Promise<InvokedEvent> {
    const poller = this.#poller;
    if (!poller) throw new LocalRunError('no poller to crash');
    const abort = new AbortController();
    const timeout = sleep(this.#settings.stallTimeoutMs, 'timeout' as const, { signal: abort.signal }).catch(
      () => 'aborted' as const,
    );
    const reason = await Promise.race([poller.stopped, timeout]);
    abort.abort();
    if (reason !== 'crashed' || !this.crashed)
      throw new LocalRunError(
        `the armed crash did not happen within ${this.#settings.stallTimeoutMs / 1000} s`,
      );
    this.#setPoller(undefined);
    return this.crashed;
  }

  /** Waits until every partition's committed offset reached `highs`; fails when nothing moves for the stall timeout. */
  public async waitCaughtUp(highs: ReadonlyMap<number, number>): Promise<void> {
    const started = performance.now();
    let last = -1;
    let changedAt = Date.now();
    for (;;) {
      if ([...highs].every(([p, high]) => (this.committed.get(p) ?? 0) >= high)) break;
      if (this.#unexpectedStop)
        throw new LocalRunError(`the poller stopped unexpectedly (${this.#unexpectedStop})`);
      const progress = [...this.committed.values()].reduce((a, b) => a + b, 0);
      if (progress !== last) {
        last = progress;
        changedAt = Date.now();
      } else if (Date.now() - changedAt > this.#settings.stallTimeoutMs) {
        throw new LocalRunError(
          `no offset was committed for ${this.#settings.stallTimeoutMs / 1000} s (committed ${JSON.stringify([...this.committed])}, ` +
            `to reach ${JSON.stringify([...highs])}): see the poller lines above, or rerun with POWERTOOLS_LOG_LEVEL=INFO.`,
        );
      }
      await sleep(50);
    }
    this.consumeMs += performance.now() - started;
  }

  /** What the progress line shows now. */
  public snapshot(target: number): ProgressSnapshot {
    const totals = this.consumer.totals;
    return {
      committed: [...this.committed.values()].reduce((a, b) => a + b, 0),
      target,
      delivered: totals.recordsIn,
      processed: [...this.consumer.effects.values()].reduce((a, b) => a + b, 0),
      withheld: totals.withheld,
      retries: this.retries,
    };
  }

  /** The emulated mapping is Enabled while a poller runs: each change is a state change that LastModified dates. */
  #setPoller(poller: LambdaKafkaPoller | undefined): void {
    if (poller === this.#poller) return;
    this.#poller = poller;
    this.#mappingChangedAt = new Date();
  }

  #afterSuccess(invoked: InvokedEvent): AfterSuccess {
    if (this.#crashArmed) {
      this.#crashArmed = false;
      this.crashed = invoked;
      return 'crash';
    }
    return this.injector.decide(invoked);
  }

  #onInvoked(e: InvokedEvent): void {
    this.invocations++;
    this.latencies.push(e.durationMs);
    const where = `${e.topic}-${e.partition}@${e.firstOffset}..${e.lastOffset}`;
    if (e.error instanceof SimulatedFaultError) {
      this.#settings.note(
        `fault: invocation on ${where} threw (${e.error.message}): the poller retries the whole batch`,
      );
    } else if (e.outcome === 'partial') {
      this.#settings.note(
        `partial-batch response for ${where}: committed up to ${e.retryFrom}, redelivering from it`,
      );
    } else if (e.outcome !== 'success') {
      this.#settings.note(`invocation on ${where} failed (${e.outcome}: ${e.error?.message ?? ''})`);
    }
  }
}
