import {
  GetEventSourceMappingCommand,
  type LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { boundOf, type WaitLimit } from './deadline.ts';
import { EventSourceMappingError } from './errors.ts';
import type { ProgressSink } from './types.ts';

/** The Lambda API calls restore makes: a structural subset of the SDK client. */
export type LambdaApi = Pick<LambdaClient, 'send'>;

/** Options of {@link EventSourceMappingToggle}. */
export interface EsmToggleOptions {
  /** Between two GetEventSourceMapping calls. @default 2000 */
  readonly pollMs?: number;
  /** Bound of each wait for a state. Disabling a Kafka ESM takes tens of seconds. @default 300_000 */
  readonly timeoutMs?: number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds of the clock the waits measure with. @default Date.now */
  readonly now?: () => number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Turns a Lambda event source mapping off and on, and waits for the state to settle: an
 * UpdateEventSourceMapping returns while the mapping is `Disabling`; its pollers may still be in
 * the consumer group until the state is `Disabled`.
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html
 *
 * @example
 * ```ts
 * const esm = new EventSourceMappingToggle(new LambdaClient({}));
 * await esm.disable('a1b2c3d4-...');
 * ```
 */
export class EventSourceMappingToggle {
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  public constructor(
    private readonly lambda: LambdaApi,
    options: EsmToggleOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 300_000;
    this.sleep = options.sleep ?? sleepFor;
    this.now = options.now ?? Date.now;
  }

  /** The mapping's current `State` (`Enabled`, `Disabled`, `Enabling`, `Disabling`, `Updating`...). */
  public async state(uuid: string): Promise<string> {
    try {
      const mapping = await this.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
      return mapping.State ?? 'Unknown';
    } catch (error) {
      throw new EventSourceMappingError(
        `GetEventSourceMapping ${uuid} failed: ${(error as Error).message}. Check --esm-uuid and the caller's ` +
          'lambda:GetEventSourceMapping permission.',
        { cause: error },
      );
    }
  }

  /**
   * Sets Enabled=false and waits until the state is `Disabled`, at most `timeoutMs` or `limit`
   * (the caller's remaining time) when that is shorter.
   */
  public disable(uuid: string, progress?: ProgressSink, limit?: WaitLimit): Promise<void> {
    return this.toggle(uuid, false, progress, limit);
  }

  /** Sets Enabled=true and waits until the state is `Enabled`, bounded like {@link disable}. */
  public enable(uuid: string, progress?: ProgressSink, limit?: WaitLimit): Promise<void> {
    return this.toggle(uuid, true, progress, limit);
  }

  private async toggle(
    uuid: string,
    enabled: boolean,
    progress: ProgressSink | undefined,
    limit: WaitLimit | undefined,
  ): Promise<void> {
    const want = enabled ? 'Enabled' : 'Disabled';
    try {
      await this.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
    } catch (error) {
      throw new EventSourceMappingError(
        `UpdateEventSourceMapping ${uuid} Enabled=${enabled} failed: ${(error as Error).message}. Check the ` +
          "caller's lambda:UpdateEventSourceMapping permission and that the mapping is not being updated.",
        { cause: error },
      );
    }
    progress?.(`event source mapping ${uuid}: Enabled=${enabled} requested, waiting for ${want}`);
    const bound = boundOf(this.timeoutMs, limit);
    const deadline = this.now() + bound.ms;
    let state = await this.state(uuid);
    while (state !== want) {
      if (this.now() >= deadline) {
        throw new EventSourceMappingError(
          `Event source mapping ${uuid} is still ${state} after ${Math.round(bound.ms / 1000)} s (waiting for ${want}).` +
            `${bound.note} Check it with: aws lambda get-event-source-mapping --uuid ${uuid}`,
        );
      }
      await this.sleep(this.pollMs);
      state = await this.state(uuid);
    }
    progress?.(`event source mapping ${uuid}: ${want}`);
  }
}
