// How every client of the brokers authenticates: restore, status, quarantine replay, the watchdog
// and the topics provider. One builder, so that a mode means the same to all of them and a secret
// that cannot be read is the same actionable error everywhere.
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { ConfigurationError } from '../errors.ts';
import { SCRAM_SECRET_SHAPE, scramCredentialsOf } from './scram-secret.ts';
import { refusedSecret } from './secret-refusal.ts';

/**
 * How a client authenticates to the brokers: `none` (plaintext, local brokers), `tls` (TLS, no
 * SASL), `iam` (MSK IAM over SASL/OAUTHBEARER and TLS) or `scram` (SASL/SCRAM-SHA-512 over TLS).
 */
export type KafkaAuthMode = 'none' | 'tls' | 'iam' | 'scram';

/** What {@link kafkaAuthConfig} reads. */
export interface KafkaAuthOptions {
  /** @default 'none' */
  readonly auth?: KafkaAuthMode;
  /** Needed by `iam` (token signing) and `scram` (Secrets Manager). */
  readonly region?: string;
  /** Secret holding `{"username","password"}` when auth is `scram`. */
  readonly scramSecretArn?: string;
}

/**
 * The kafkajs `ssl` and `sasl` settings of an auth mode.
 *
 * @example
 * ```ts
 * const kafka = new Kafka({ clientId, brokers, ...(await kafkaAuthConfig({ auth: 'iam', region })) });
 * ```
 * @throws ConfigurationError for a missing region or secret ARN, a secret the role may not read, or
 * one that does not hold SCRAM credentials
 */
export async function kafkaAuthConfig(options: KafkaAuthOptions): Promise<Pick<KafkaConfig, 'ssl' | 'sasl'>> {
  const auth = options.auth ?? 'none';
  if (auth === 'none') return {};
  if (auth === 'tls') return { ssl: true };
  return { ssl: true, sasl: await saslFor(auth, options) };
}

async function saslFor(auth: 'iam' | 'scram', options: KafkaAuthOptions): Promise<SASLOptions> {
  const region = options.region;
  if (!region) throw new ConfigurationError(`Kafka auth ${auth} needs the AWS region (AWS_REGION).`);
  if (auth === 'iam') {
    // Loaded only for the auth mode in use: each SDK client costs start-up time in the CLI.
    const { default: signer } = await import('aws-msk-iam-sasl-signer-js');
    return {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({ value: (await signer.generateAuthToken({ region })).token }),
    };
  }
  const secretId = options.scramSecretArn;
  if (!secretId)
    throw new ConfigurationError('Kafka auth scram needs the secret ARN (MSKGUARD_KAFKA_SECRET_ARN).');
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const secrets = new SecretsManagerClient({ region });
  try {
    const secret = await secrets
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .catch((error: unknown) => {
        throw refusedSecret(error, 'SCRAM', secretId) ?? error;
      });
    const credentials = scramCredentialsOf(secret.SecretString);
    if (!credentials) throw new ConfigurationError(`Secret ${secretId} must hold ${SCRAM_SECRET_SHAPE}.`);
    return { mechanism: 'scram-sha-512', ...credentials };
  } finally {
    secrets.destroy();
  }
}
