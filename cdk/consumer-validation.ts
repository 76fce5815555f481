import { Duration } from 'aws-cdk-lib';
import { type ProvisionedPollerConfig, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationError } from '../shared/errors.ts';

/**
 * Lambda's consumer group id rule (1–200 characters of [a-zA-Z0-9-/*:_+=.@]) less `*`: the grants
 * put the id in `dynamodb:LeadingKeys` patterns and kafka-cluster group ARNs, where IAM reads `*` as
 * a wildcard (group `orders*` would reach `orders-v2`). `#` is not in it: it separates key parts.
 */
const CONSUMER_GROUP_ID = /^[a-zA-Z0-9\-/:_+=.@]{1,200}$/;
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
  /** @default none (Lambda's default: records never expire) */
  readonly maxRecordAge?: Duration;
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
      `Invalid consumerGroupId "${input.consumerGroupId}": use 1–200 of [a-zA-Z0-9-/:_+=.@] (no "#", which ` +
        'separates the parts of checkpoint keys, and no "*", which IAM would read as a wildcard in the ' +
        "grants, giving this consumer other groups' checkpoints and offsets).",
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
  assertLeaseFitsRetries(where, timeout, retryAttempts, input.maxRecordAge);
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

/** The guard's default lease margin (mskGuard `leaseMarginMs`): a lease is the remaining time plus it. */
export const LEASE_MARGIN = Duration.seconds(5);

/**
 * How long one delivery can wait for another invocation's lease before failing its partition: its
 * time less a reserve for the handler (a quarter, at least 5 s; shared/dedup/cache.ts).
 */
export function leaseWaitBudgetSeconds(timeout: Duration): number {
  const t = timeout.toSeconds();
  return t - Math.max(5, t / 4);
}

/**
 * Lambda retries a failed Kafka batch at once (decision 0011), so the time a batch's retries cover
 * is what its deliveries wait. The longest lease a batch can meet is a whole function run plus the
 * margin (a holder that claimed and then lost the cache). It must end within the attempts, or a
 * cache blip sends the batch to the on-failure destination unprocessed (issue 17):
 *
 *   (retryAttempts + 1) x waitBudget(timeout) >= timeout + leaseMargin
 *
 * A maximum record age shorter than that schedule is refused for the same reason.
 */
function assertLeaseFitsRetries(
  where: string,
  timeout: Duration,
  retryAttempts: number,
  maxRecordAge: Duration | undefined,
): void {
  const budget = leaseWaitBudgetSeconds(timeout);
  const lease = timeout.toSeconds() + LEASE_MARGIN.toSeconds();
  if ((retryAttempts + 1) * budget < lease) {
    const needed = budget > 0 ? Math.ceil(lease / budget) - 1 : undefined;
    throw new ConfigurationError(
      `${where}: the longest lease (timeout ${timeout.toSeconds()} s + margin ${LEASE_MARGIN.toSeconds()} s = ${lease} s) ` +
        `does not fit in ${retryAttempts + 1} attempts that may each wait ${Math.max(0, budget)} s, so a cache blip could ` +
        `send a batch to the on-failure destination unprocessed. ${needed === undefined ? 'Raise the timeout above 5 s.' : `Set retryAttempts to at least ${needed}, or raise the timeout.`}`,
    );
  }
  const schedule = (retryAttempts + 1) * timeout.toSeconds() + LEASE_MARGIN.toSeconds();
  if (maxRecordAge !== undefined && maxRecordAge.toSeconds() < schedule) {
    throw new ConfigurationError(
      `${where}: maxRecordAge ${maxRecordAge.toSeconds()} s is shorter than the retry schedule ` +
        `(${retryAttempts + 1} attempts x ${timeout.toSeconds()} s + ${LEASE_MARGIN.toSeconds()} s = ${schedule} s): records ` +
        'could expire to the on-failure destination while a lease still holds them. Raise it or leave it unset.',
    );
  }
}

function assertIntegerIn(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${what} must be an integer in [${min}, ${max}], got ${value}.`);
  }
}

/** Unix seconds above this are almost surely milliseconds (`Date.now()`): year 5138 in seconds. */
const MAX_TIMESTAMP_SECONDS = 1e11;

/**
 * The ESM's starting position, checked here so a missing or misplaced timestamp fails synth with the
 * prop to set (CDK's own check names neither the construct's prop nor the unit).
 */
export function startingPosition(
  id: string,
  position: StartingPosition | undefined,
  timestamp: number | undefined,
): { startingPosition: StartingPosition; startingPositionTimestamp?: number } {
  const where = `GuardedKafkaConsumer ${id}`;
  const chosen = position ?? StartingPosition.TRIM_HORIZON;
  if (chosen !== StartingPosition.AT_TIMESTAMP) {
    if (timestamp !== undefined) {
      throw new ConfigurationError(
        `${where}: startingPositionTimestamp is only used with startingPosition AT_TIMESTAMP (got ${chosen}); ` +
          'set startingPosition: StartingPosition.AT_TIMESTAMP or remove the timestamp.',
      );
    }
    return { startingPosition: chosen };
  }
  if (timestamp === undefined) {
    throw new ConfigurationError(
      `${where}: startingPosition AT_TIMESTAMP needs startingPositionTimestamp, the time a new consumer group ` +
        'starts reading from, in Unix seconds.',
    );
  }
  if (!Number.isFinite(timestamp) || timestamp < 0 || timestamp >= MAX_TIMESTAMP_SECONDS) {
    throw new ConfigurationError(
      `${where}: startingPositionTimestamp must be a time in Unix seconds, got ${timestamp}` +
        (timestamp >= MAX_TIMESTAMP_SECONDS ? ' (milliseconds? divide by 1000).' : '.'),
    );
  }
  return { startingPosition: chosen, startingPositionTimestamp: timestamp };
}
