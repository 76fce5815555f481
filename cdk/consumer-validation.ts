import { Duration } from 'aws-cdk-lib';
import type { ProvisionedPollerConfig } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationError } from '../shared/errors.ts';

/** Lambda's consumer group id rule (1–200 characters); `#` is excluded as the table key separator. */
const CONSUMER_GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;
/** Kafka's legal topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
/** Kafka event source mappings refuse functions with a longer timeout. */
const MAX_KAFKA_TIMEOUT = Duration.minutes(14);

/** The settings of a consumer the ESM rules accept, with defaults applied. */
export interface ConsumerSettings {
  readonly timeout: Duration;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly retryAttempts: number;
  readonly pollers: ProvisionedPollerConfig;
}

/** What {@link validateConsumerSettings} reads. */
export interface ConsumerSettingsInput {
  readonly consumerGroupId: string;
  readonly topic: string;
  readonly timeout?: Duration;
  readonly batchSize?: number;
  readonly maxBatchingWindow?: Duration;
  readonly retryAttempts?: number;
  readonly provisionedPollers?: {
    readonly minimum?: number;
    readonly maximum?: number;
    readonly pollerGroupName?: string;
  };
}

/**
 * Applies defaults and checks a consumer's settings against the Kafka ESM rules at synth time,
 * so a bad value fails `cdk synth` with a message instead of a CloudFormation rollback.
 *
 * @example
 * ```ts
 * const { batchSize, pollers } = validateConsumerSettings({ consumerGroupId: 'orders-v1', topic: 'orders' });
 * ```
 */
export function validateConsumerSettings(input: ConsumerSettingsInput): ConsumerSettings {
  const where = `Consumer ${input.consumerGroupId}`;
  if (!CONSUMER_GROUP_ID.test(input.consumerGroupId)) {
    throw new ConfigurationError(
      `Invalid consumerGroupId "${input.consumerGroupId}": use 1–200 of [a-zA-Z0-9-/*:_+=.@] (no "#", which ` +
        'separates the parts of checkpoint keys).',
    );
  }
  if (!TOPIC_NAME.test(input.topic) || input.topic === '.' || input.topic === '..') {
    throw new ConfigurationError(`${where}: invalid topic "${input.topic}": use 1–249 of [a-zA-Z0-9._-].`);
  }
  const timeout = input.timeout ?? Duration.seconds(60);
  if (timeout.toSeconds() > MAX_KAFKA_TIMEOUT.toSeconds()) {
    throw new ConfigurationError(
      `${where}: timeout ${timeout.toSeconds()} s exceeds the 14-minute limit of Kafka ESMs.`,
    );
  }
  const batchSize = input.batchSize ?? 500;
  assertIntegerIn(batchSize, 1, 10_000, `${where}: batchSize`);
  const maxBatchingWindow = input.maxBatchingWindow ?? Duration.seconds(1);
  if (maxBatchingWindow.toMilliseconds() > 300_000) {
    throw new ConfigurationError(`${where}: maxBatchingWindow must be at most 300 seconds.`);
  }
  const retryAttempts = input.retryAttempts ?? 3;
  // -1 (infinite) is legal for Lambda but would block a partition forever on a poison record.
  assertIntegerIn(retryAttempts, 0, 10_000, `${where}: retryAttempts (bounded retries; -1 is not allowed)`);
  const minimumPollers = input.provisionedPollers?.minimum ?? 1;
  const maximumPollers = input.provisionedPollers?.maximum ?? Math.max(3, minimumPollers);
  assertIntegerIn(minimumPollers, 1, 200, `${where}: provisionedPollers.minimum`);
  assertIntegerIn(maximumPollers, minimumPollers, 2000, `${where}: provisionedPollers.maximum`);
  const groupName = input.provisionedPollers?.pollerGroupName;
  return {
    timeout,
    batchSize,
    maxBatchingWindow,
    retryAttempts,
    pollers: { minimumPollers, maximumPollers, ...(groupName ? { pollerGroupName: groupName } : {}) },
  };
}

function assertIntegerIn(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${what} must be an integer in [${min}, ${max}], got ${value}.`);
  }
}
