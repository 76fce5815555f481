import { ConfigurationError } from '#shared/errors.ts';
import { type AfterSuccess, type PollerOptions, StartingPosition } from './types.ts';

/** Lambda's synchronous invocation payload limit (6 MB). */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** Options with defaults applied and checked. */
export interface PollerSettings extends Required<Omit<PollerOptions, 'onFailure' | 'brokers'>> {
  readonly brokers: readonly string[];
  readonly onFailure: PollerOptions['onFailure'];
}

const DEFAULT_ARN =
  'arn:aws:kafka:us-east-1:123456789012:cluster/mskguard-local/00000000-0000-0000-0000-000000000000-1';

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `LambdaKafkaPoller: ${name} must be an integer in [${min}, ${max}], got ${value}`,
    );
  }
  return value;
}

/** Applies the defaults (Lambda's, where Lambda has one) and checks every option once. */
export function resolvePollerSettings(options: PollerOptions): PollerSettings {
  if (options.brokers.length === 0) throw new ConfigurationError('LambdaKafkaPoller: brokers is empty');
  if (!options.topic) throw new ConfigurationError('LambdaKafkaPoller: topic is required');
  if (!options.groupId) throw new ConfigurationError('LambdaKafkaPoller: groupId is required');
  if (typeof options.handler !== 'function')
    throw new ConfigurationError(
      'LambdaKafkaPoller: handler must be a function (event, context) => response',
    );
  const startingPosition = options.startingPosition ?? StartingPosition.trimHorizon;
  if (startingPosition !== StartingPosition.trimHorizon && startingPosition !== StartingPosition.latest) {
    throw new ConfigurationError(
      `LambdaKafkaPoller: startingPosition must be TRIM_HORIZON or LATEST, got ${String(startingPosition)}`,
    );
  }
  const commit = (): AfterSuccess => 'commit';
  return {
    brokers: options.brokers,
    topic: options.topic,
    groupId: options.groupId,
    handler: options.handler,
    batchSize: integer('batchSize', options.batchSize ?? 100, 1, 10_000),
    batchingWindowMs: integer('batchingWindowMs', options.batchingWindowMs ?? 500, 0, 300_000),
    maxPayloadBytes: integer(
      'maxPayloadBytes',
      options.maxPayloadBytes ?? LAMBDA_PAYLOAD_LIMIT_BYTES,
      4096,
      64 * 1024 * 1024,
    ),
    timeoutMs: integer('timeoutMs', options.timeoutMs ?? 60_000, 1, 900_000),
    maximumRetryAttempts: integer('maximumRetryAttempts', options.maximumRetryAttempts ?? 3, 0, 10_000),
    retryBackoffMs: integer('retryBackoffMs', options.retryBackoffMs ?? 100, 0, 60_000),
    onFailure: options.onFailure,
    afterSuccess: options.afterSuccess ?? commit,
    startingPosition,
    maxConcurrency: integer('maxConcurrency', options.maxConcurrency ?? 10, 1, 1000),
    eventSourceArn: options.eventSourceArn ?? DEFAULT_ARN,
    functionName: options.functionName ?? 'mskguard-local-consumer',
    sessionTimeoutMs: integer('sessionTimeoutMs', options.sessionTimeoutMs ?? 30_000, 6000, 300_000),
  };
}

/** Delay before retry `attempt` (1-based) of a partition: exponential from `baseMs`, at most 5 s. */
export function retryDelayMs(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 5000);
}
