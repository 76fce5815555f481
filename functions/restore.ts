import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigurationError } from '../shared/errors.ts';
import { createRestoreHandler } from '../shared/restore/lambda.ts';
import { FUNCTION_ENV, type RestoreTarget } from '../shared/runtime/function-env.ts';
import { kafkaAuthFromEnv } from '../shared/runtime/kafka-auth-env.ts';

/**
 * The restore Lambda (cdk/constructs/restore-function.ts): the engine of `mskguard restore`, run
 * next to the brokers. Wiring only: configuration from the environment the stack sets (the
 * MSKGUARD_* names, with the unprefixed ones as a fallback for hand-made deployments).
 * Event: a RestoreRequest as JSON; answer: a RestoreResponse (see shared/restore/engine.ts), or its
 * compact form when it would exceed Lambda's 6 MB response limit (shared/restore/answer-limit.ts).
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

/**
 * The groups this function may restore. A bare `JSON.parse(...) as RestoreTarget[]` crashed the cold
 * start with a SyntaxError on a typo, and let an object or an entry without its ESM through, to fail
 * each request later as "targets.find is not a function" or restore with no ESM to stop.
 */
function parseRestoreTargets(raw: string | undefined): RestoreTarget[] | null {
  if (raw === undefined) return null;
  const name = `${FUNCTION_ENV.RESTORE_TARGETS} (or RESTORE_TARGETS)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(`${name} must be a JSON array of targets, got ${JSON.stringify(raw)}.`);
  }
  const field = (t: unknown, key: string) => {
    const value = (t as Record<string, unknown> | null)?.[key];
    return typeof value === 'string' && value !== '';
  };
  const ok =
    Array.isArray(parsed) &&
    parsed.every((t) => field(t, 'consumerGroupId') && field(t, 'topic') && field(t, 'eventSourceMappingId'));
  if (!ok) {
    throw new ConfigurationError(
      `${name}: expected a JSON array whose entries each have a non-empty consumerGroupId, topic and ` +
        'eventSourceMappingId (the stack writes it; unset it to let the function restore any group).',
    );
  }
  return parsed as RestoreTarget[];
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
  targets: parseRestoreTargets(targets),
  logger: new Logger({ serviceName: 'mskguard-restore' }),
});
