import { ConfigurationError } from '../errors.ts';
import type { KafkaAuthMode } from '../restore/clients.ts';
import { FUNCTION_ENV } from './function-env.ts';

/** Every mode the Kafka clients support; `satisfies` fails the build when KafkaAuthMode gains one. */
const MODES = { none: true, tls: true, iam: true, scram: true } as const satisfies Record<
  KafkaAuthMode,
  true
>;

/**
 * Whether `value` names a Kafka auth mode (own keys only: `constructor` is none). The one list of
 * modes for the CLI's `--kafka-auth` and the functions' MSKGUARD_KAFKA_AUTH; a light module, so
 * `mskguard --help` loads neither kafkajs nor the AWS SDK through it.
 */
export function isKafkaAuthMode(value: string): value is KafkaAuthMode {
  return Object.hasOwn(MODES, value);
}

/**
 * The Kafka auth mode of a function that talks to the brokers (restore, watchdog), from its
 * MSKGUARD_KAFKA_AUTH value: the same modes as the CLI's `--kafka-auth` (shared/cli/kafka-auth.ts),
 * so a deployment made by hand reaches a TLS-only listener as the CLI does. Unset or empty: `none`.
 * Anything else is a ConfigurationError at cold start, naming the variable and the modes.
 */
export function kafkaAuthFromEnv(value: string | undefined, fn: string): KafkaAuthMode {
  const mode = value || 'none';
  if (isKafkaAuthMode(mode)) return mode;
  throw new ConfigurationError(
    `${FUNCTION_ENV.KAFKA_AUTH}=${mode} on the ${fn} function: set one of none, tls, iam, scram ` +
      '(scram also needs MSKGUARD_KAFKA_SECRET_ARN).',
  );
}
