import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigurationError } from '../shared/errors.ts';
import { createRestoreHandler } from '../shared/restore/lambda.ts';
import { FUNCTION_ENV, type RestoreTarget } from '../shared/runtime/function-env.ts';
import { kafkaAuthFromEnv } from '../shared/runtime/kafka-auth-env.ts';

/**
 * The restore Lambda (cdk/constructs/restore-function.ts): the engine of `mskguard restore`, run
 * next to the brokers. Wiring only: configuration from the environment the stack sets (the
 * MSKGUARD_* names, with the unprefixed ones as a fallback for hand-made deployments).
 * Event: a RestoreRequest as JSON; answer: a RestoreResponse (see shared/restore/engine.ts).
 */

const env = (name: keyof typeof FUNCTION_ENV, fallback: string): string | undefined =>
  process.env[FUNCTION_ENV[name]] || process.env[fallback] || undefined;

function required(name: keyof typeof FUNCTION_ENV, fallback: string): string {
  const value = env(name, fallback);
  if (!value) {
    throw new ConfigurationError(
      `${FUNCTION_ENV[name]} (or ${fallback}) is not set on the restore function.`,
    );
  }
  return value;
}

const auth = kafkaAuthFromEnv(env('KAFKA_AUTH', 'KAFKA_AUTH'), 'restore');
const targets = env('RESTORE_TARGETS', 'RESTORE_TARGETS');
const scramSecretArn = env('KAFKA_SECRET_ARN', 'KAFKA_SECRET_ARN');
const region = process.env.AWS_REGION;

/** The Lambda entry point. */
export const handler = createRestoreHandler({
  brokers: required('KAFKA_BROKERS', 'KAFKA_BROKERS')
    .split(',')
    .map((b) => b.trim()),
  auth,
  ...(region ? { region } : {}),
  ...(scramSecretArn ? { scramSecretArn } : {}),
  checkpointTable: required('CHECKPOINT_TABLE', 'CHECKPOINT_TABLE'),
  auditTable: required('AUDIT_TABLE', 'AUDIT_TABLE'),
  targets: targets ? (JSON.parse(targets) as RestoreTarget[]) : null,
  logger: new Logger({ serviceName: 'mskguard-restore' }),
});
