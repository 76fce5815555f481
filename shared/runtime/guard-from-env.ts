import { lazyDynamoDbClient } from '../aws/sdk.ts';
import { DynamoCheckpointStore } from '../checkpoints/dynamodb-store.ts';
import { ConfigurationError } from '../errors.ts';
import type { MskGuardOptions } from '../middleware/options.ts';
import { QuarantineStore } from '../quarantine/store.ts';
import { cacheFromEnv } from './cache-from-env.ts';
import { FUNCTION_ENV } from './function-env.ts';

/**
 * `mskGuard` options for a function deployed by the mskguard CDK stack (or run locally with the
 * stack's env file): consumer group, cache, checkpoint and quarantine stores, and mode from the
 * environment. Clients are created here (cheap, no I/O); the cache connects on the first event.
 *
 * @example
 * ```ts
 * export const handler = middy().use(mskGuard(guardOptionsFromEnv())).handler(...);
 * ```
 */
export function guardOptionsFromEnv(
  overrides: Partial<MskGuardOptions> = {},
  env: NodeJS.ProcessEnv = process.env,
): MskGuardOptions {
  const consumerGroup = overrides.consumerGroup ?? env[FUNCTION_ENV.CONSUMER_GROUP];
  if (!consumerGroup) {
    throw new ConfigurationError(
      `${FUNCTION_ENV.CONSUMER_GROUP} is not set: it must equal the event source mapping's consumerGroupId`,
    );
  }
  const checkpointTable = env[FUNCTION_ENV.CHECKPOINT_TABLE];
  const quarantineTable = env[FUNCTION_ENV.QUARANTINE_TABLE];
  const mode = oneOf(env, FUNCTION_ENV.MODE, ['exact', 'probabilistic'] as const);
  const onCacheUnavailable = oneOf(env, FUNCTION_ENV.ON_CACHE_UNAVAILABLE, ['fail', 'degrade'] as const);
  const shards = env[FUNCTION_ENV.CACHE_SHARDS];
  const dynamoDb = checkpointTable || quarantineTable ? lazyDynamoDbClient(endpoint(env)) : undefined;
  return {
    consumerGroup,
    cache: overrides.cache ?? cacheFromEnv(env),
    ...(dynamoDb && checkpointTable
      ? { checkpoints: new DynamoCheckpointStore(dynamoDb, checkpointTable) }
      : {}),
    // Probabilistic mode needs it (mskGuard refuses the mode without one).
    ...(dynamoDb && quarantineTable ? { quarantine: new QuarantineStore(dynamoDb, quarantineTable) } : {}),
    ...(mode ? { mode } : {}),
    ...(onCacheUnavailable ? { onCacheUnavailable } : {}),
    // Its range is checked with the other options by mskGuard (a ConfigurationError there).
    ...(shards ? { cacheShards: decimal(FUNCTION_ENV.CACHE_SHARDS, shards) } : {}),
    ...overrides,
  };
}

/** A local endpoint (DynamoDB Local) when DYNAMODB_ENDPOINT is set; else the SDK's own resolution. */
function endpoint(env: NodeJS.ProcessEnv): { endpoint?: string } {
  return env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {};
}

/**
 * One of `values`, or undefined when unset or empty. Anything else is a ConfigurationError naming
 * the variable: a typo must not fall back silently to the other mode or policy.
 */
function oneOf<const T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  values: readonly T[],
): T | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if ((values as readonly string[]).includes(value)) return value as T;
  throw new ConfigurationError(`${name} must be one of ${values.join(', ')} (got ${JSON.stringify(value)})`);
}

/** A whole number written in decimal: Number() alone would take `0x10` as 16 and `1e1` as 10. */
function decimal(name: string, value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  throw new ConfigurationError(`${name} must be a whole number of shards (got ${JSON.stringify(value)})`);
}
