// How every command that talks to Kafka (restore, status, quarantine replay) authenticates: one
// flag, one environment fallback, one set of modes. Before, replay took `--kafka-auth
// plaintext|tls|iam` and the others read `KAFKA_AUTH=none|iam|scram`, so an operator learnt both.
// Light imports only (`mskguard --help` must not load kafkajs or the AWS SDK); the kafkajs settings
// of a mode are built by kafkaAuthConfig (shared/aws/kafka-auth.ts).
import type { KafkaAuthMode, KafkaConnectionOptions } from '../restore/clients.ts';
import { isKafkaAuthMode } from '../runtime/kafka-auth-env.ts';
import { UsageError } from './command.ts';
import { type Flags, str } from './flags.ts';

/** Earlier spellings still accepted: `quarantine replay --kafka-auth plaintext` (its former default). */
const ALIASES: Readonly<Record<string, KafkaAuthMode>> = { plaintext: 'none' };

/** Where the mode is read when `--kafka-auth` is not given, first set wins. */
const ENV_NAMES = ['KAFKA_AUTH', 'MSKGUARD_KAFKA_AUTH'] as const;

const ACCEPTED = 'none (or plaintext), tls, iam or scram';

/** The flags of every Kafka command (node:util parseArgs). */
export const KAFKA_AUTH_OPTIONS = {
  'kafka-auth': { type: 'string' },
  'kafka-secret-arn': { type: 'string' },
} as const;

/** How a command authenticates, as {@link KafkaConnectionOptions} takes it. */
export type KafkaAuthSettings = Required<Pick<KafkaConnectionOptions, 'auth'>> &
  Pick<KafkaConnectionOptions, 'scramSecretArn'>;

/** The mode asked for and how the operator asked (`--kafka-auth iam`, `KAFKA_AUTH=iam`), for messages. */
function requested(
  flags: Flags,
  env: NodeJS.ProcessEnv,
): { readonly value: string; readonly source: string } {
  const flag = str(flags, 'kafka-auth');
  if (flag !== undefined) return { value: flag, source: `--kafka-auth ${flag}` };
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (value) return { value, source: `${name}=${value}` };
  }
  return { value: 'none', source: '--kafka-auth none (the default)' };
}

/** Own keys only: `--kafka-auth constructor` is no mode. */
function modeOf(value: string): KafkaAuthMode | undefined {
  if (isKafkaAuthMode(value)) return value;
  return Object.hasOwn(ALIASES, value) ? ALIASES[value] : undefined;
}

/**
 * The Kafka auth of a command line: `--kafka-auth MODE`, else KAFKA_AUTH or MSKGUARD_KAFKA_AUTH,
 * else `none`; the SCRAM secret from `--kafka-secret-arn`, else MSKGUARD_KAFKA_SECRET_ARN. A
 * {@link UsageError} (exit 2) before any connection for an unknown mode, and for what a mode needs
 * but lacks: iam and scram sign or read a secret in `region`, scram needs its secret.
 *
 * @example
 * ```ts
 * const region = str(flags, 'region') ?? env.AWS_REGION;
 * const kafka = await createRestoreKafka({ brokers, region, ...kafkaAuthOf(flags, env, region) });
 * ```
 */
export function kafkaAuthOf(
  flags: Flags,
  env: NodeJS.ProcessEnv,
  region: string | undefined,
): KafkaAuthSettings {
  const { value, source } = requested(flags, env);
  const auth = modeOf(value);
  if (auth === undefined) {
    const override = source.startsWith('--') ? '' : ' (--kafka-auth MODE overrides it)';
    throw new UsageError(`${source}: expected ${ACCEPTED}${override}.`);
  }
  const secretFlag = str(flags, 'kafka-secret-arn');
  if (secretFlag !== undefined && auth !== 'scram')
    throw new UsageError(
      `--kafka-secret-arn is read by scram only, and the auth is ${source}: add --kafka-auth scram, or drop it.`,
    );
  if (auth === 'iam' && !region)
    throw new UsageError(`${source} needs the MSK cluster region: pass --region or set AWS_REGION.`);
  if (auth !== 'scram') return { auth };
  const scramSecretArn = secretFlag ?? env.MSKGUARD_KAFKA_SECRET_ARN;
  if (!scramSecretArn)
    throw new UsageError(
      `${source} needs the secret holding {"username","password"}: pass --kafka-secret-arn ARN or set ` +
        'MSKGUARD_KAFKA_SECRET_ARN.',
    );
  if (!region)
    throw new UsageError(
      `${source} reads its secret in the cluster's region: pass --region or set AWS_REGION.`,
    );
  return { auth, scramSecretArn };
}

/**
 * The help lines of `--kafka-auth` and `--kafka-secret-arn`, with descriptions starting at
 * `column` as in the command's own option list (a label too long for it gets a line of its own).
 */
export function kafkaAuthHelp(column: number): string {
  const option = (label: string, lines: readonly string[]): string => {
    const indent = ' '.repeat(column);
    const head = `  ${label}`;
    const first =
      head.length + 2 <= column ? `${head.padEnd(column)}${lines[0]}` : `${head}\n${indent}${lines[0]}`;
    return [first, ...lines.slice(1).map((line) => `${indent}${line}`)].join('\n');
  };
  return [
    option('--kafka-auth MODE', [
      'none (plaintext, the default), tls (TLS, no SASL), iam (MSK IAM over TLS;',
      'needs --region) or scram (SASL/SCRAM-SHA-512 over TLS; needs --region and',
      '--kafka-secret-arn); plaintext = none (env KAFKA_AUTH or MSKGUARD_KAFKA_AUTH)',
    ]),
    option('--kafka-secret-arn ARN', [
      '(scram) the Secrets Manager secret holding {"username","password"}',
      '(env MSKGUARD_KAFKA_SECRET_ARN)',
    ]),
  ].join('\n');
}
