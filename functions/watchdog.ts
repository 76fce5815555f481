import { ConfigurationError } from '../shared/errors.ts';
import { FUNCTION_ENV } from '../shared/runtime/function-env.ts';
import { kafkaAuthFromEnv } from '../shared/runtime/kafka-auth-env.ts';
import { createWatchdogHandler, parseTargets, WATCHDOG_ENV } from '../shared/watchdog/lambda.ts';

/**
 * The watchdog Lambda (cdk/constructs/watchdog.ts): run every minute by an EventBridge rule, it
 * measures each consumer from outside (ESM state, restore running, lag, checkpoint staleness) and
 * prints one EMF line per consumer. Wiring only: configuration from the environment the stack sets.
 */

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigurationError(`${name} is not set on the watchdog function.`);
  return value;
}

const auth = kafkaAuthFromEnv(process.env[FUNCTION_ENV.KAFKA_AUTH], 'watchdog');
const scramSecretArn = process.env[FUNCTION_ENV.KAFKA_SECRET_ARN];
const region = process.env.AWS_REGION;

/** The Lambda entry point. */
export const handler = createWatchdogHandler({
  brokers: required(FUNCTION_ENV.KAFKA_BROKERS)
    .split(',')
    .map((b) => b.trim()),
  auth,
  ...(region ? { region } : {}),
  ...(scramSecretArn ? { scramSecretArn } : {}),
  targets: parseTargets(process.env[WATCHDOG_ENV.TARGETS]),
  checkpointTable: required(FUNCTION_ENV.CHECKPOINT_TABLE),
  auditTable: required(FUNCTION_ENV.AUDIT_TABLE),
  maxRestoreSeconds: Number(process.env[WATCHDOG_ENV.MAX_RESTORE_SECONDS] ?? '900'),
});
