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

/**
 * The restore function's timeout in seconds. `Number()` alone turned a typo into NaN (every restore
 * then counted as not running, so each one paged as a disabled ESM) and an empty value into 0.
 */
function maxRestoreSeconds(raw: string | undefined): number {
  if (raw === undefined) return 900;
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(seconds) || seconds < 1) {
    throw new ConfigurationError(
      `${WATCHDOG_ENV.MAX_RESTORE_SECONDS} must be a whole number of seconds ≥ 1 (the restore function's timeout), got ${JSON.stringify(raw)}.`,
    );
  }
  return seconds;
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
  maxRestoreSeconds: maxRestoreSeconds(process.env[WATCHDOG_ENV.MAX_RESTORE_SECONDS]),
});
