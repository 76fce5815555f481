import type { Admin } from 'kafkajs';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { runWatchdog } from '#shared/watchdog/run.ts';
import { AuditRestoreActivity } from '#shared/watchdog/sources.ts';
import type { CheckpointReader, EsmStatus } from '#shared/watchdog/types.ts';

/** What the local watchdog reads and where it prints. */
export interface LocalWatchdogOptions {
  readonly group: string;
  readonly topic: string;
  readonly admin: Admin;
  readonly dynamodb: DynamoDBSender;
  readonly auditTable: string;
  readonly checkpoints: CheckpointReader;
  /** Whether the emulated mapping polls: the poller emulator stands in for the ESM. */
  readonly polling: () => boolean;
  /**
   * When the emulated mapping last changed state (a poller started or stopped), as LastModified
   * dates a real one: partitions with records and no checkpoint are aged from it (decision 0024), so
   * a local consumer that never checkpoints pages as in AWS. Undefined before any poller started.
   */
  readonly lastModified: () => Date | undefined;
  /** The watchdog's clock (epoch ms). @default Date.now */
  readonly now?: () => number;
  readonly emf: (line: string) => void;
  /** Real milliseconds between runs. */
  readonly intervalMs: number;
}

/**
 * The watchdog of the stack (shared/watchdog) run on one machine: the same measurements on the
 * local broker and DynamoDB Local, with the poller emulator in place of the Lambda API's mapping
 * state (`Enabled` while a poller runs, `Disabled` otherwise, last modified when that changed).
 * Runs are never concurrent.
 */
export class LocalWatchdog {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  public runs = 0;

  public constructor(private readonly options: LocalWatchdogOptions) {}

  public start(): void {
    const o = this.options;
    const deps = {
      esm: {
        status: async (): Promise<EsmStatus> => {
          const changed = o.lastModified();
          // The emulated poller starts at TRIM_HORIZON, so no starting position need be given.
          const since = changed ? { lastModified: changed.toISOString() } : {};
          return o.polling()
            ? { state: 'Enabled', stateTransitionReason: 'USER_ACTION', lastProcessingResult: 'OK', ...since }
            : {
                state: 'Disabled',
                stateTransitionReason: 'USER_INITIATED',
                lastProcessingResult: 'No records processed',
                ...since,
              };
        },
      },
      restores: new AuditRestoreActivity(o.dynamodb, o.auditTable, 900),
      checkpoints: o.checkpoints,
      admin: o.admin,
      ...(o.now ? { now: o.now } : {}),
    };
    const target = {
      consumerGroupId: o.group,
      topic: o.topic,
      eventSourceMappingId: 'local',
      functionName: 'local',
    };
    const tick = () => {
      this.#running = this.#running.then(async () => {
        this.runs++;
        await runWatchdog([target], deps, o.emf).catch(() => undefined);
      });
    };
    tick();
    this.#timer = setInterval(tick, o.intervalMs);
  }

  public async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
