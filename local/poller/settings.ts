import { ConfigurationError } from '#shared/errors.ts';
import { type AfterSuccess, type PollerOptions, StartingPosition } from './types.ts';

/**
 * Retries Lambda applies when `MaximumRetryAttempts` is -1 (infinite) and an on-failure destination
 * is configured (docs/decisions/0011-kafka-retry-pacing.md).
 */
export const INFINITE_RETRIES_WITH_DESTINATION = 10;

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
    maximumRetryAttempts: retryAttempts(options),
    retryBackoffMs: integer('retryBackoffMs', options.retryBackoffMs ?? 0, 0, 60_000),
    onFailure: options.onFailure,
    afterSuccess: options.afterSuccess ?? commit,
    startingPosition,
    maxConcurrency: integer('maxConcurrency', options.maxConcurrency ?? 10, 1, 1000),
    eventSourceArn: options.eventSourceArn ?? DEFAULT_ARN,
    functionName: options.functionName ?? 'mskguard-local-consumer',
    sessionTimeoutMs: integer('sessionTimeoutMs', options.sessionTimeoutMs ?? 30_000, 6000, 300_000),
  };
}

/**
 * Lambda's `MaximumRetryAttempts` for Kafka: 0–10,000, or -1 for infinite, which Lambda turns into
 * 10 when an on-failure destination is configured (here: an `onFailure` hook). Infinite is returned
 * as `Number.POSITIVE_INFINITY`.
 */
function retryAttempts(options: PollerOptions): number {
  const value = options.maximumRetryAttempts ?? 3;
  if (value === -1) {
    return options.onFailure ? INFINITE_RETRIES_WITH_DESTINATION : Number.POSITIVE_INFINITY;
  }
  return integer('maximumRetryAttempts (or -1 for infinite)', value, 0, 10_000);
}

/**
 * Delay before retry `attempt` (1-based) of a partition. Lambda documents no delay between the
 * retries of a Kafka batch (docs/decisions/0011-kafka-retry-pacing.md), so by default (`baseMs` 0)
 * the emulator redelivers at once: the fastest a retry budget can be spent. A `baseMs` above 0 opts
 * into exponential backoff from it, at most 5 s.
 */
export function retryDelayMs(baseMs: number, attempt: number): number {
  if (baseMs === 0) return 0;
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 5000);
}
