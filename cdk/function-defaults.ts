import { Validations } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  type NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
  SourceMapMode,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ConfigurationError } from '../shared/errors.ts';
import { acknowledgeCheckov } from './checkov.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './metrics.ts';
import { missingCacheClients, resolveEntry } from './paths.ts';

/**
 * The default Lambda runtime of every mskguard function: the newest Node runtime aws-cdk-lib offers
 * that the package is tested on (docs/decisions/0009-packaging.md). Named, not "latest", so a CDK
 * upgrade never changes the runtime under a running consumer; each construct takes a `runtime` prop.
 */
export const LAMBDA_RUNTIME: Runtime = Runtime.NODEJS_24_X;

// ESM output needs a `require` for the CommonJS dependencies (kafkajs, ioredis) esbuild inlines.
const ESM_REQUIRE_BANNER =
  "import { createRequire as __mskguardCreateRequire } from 'node:module'; " +
  'const require = __mskguardCreateRequire(import.meta.url);';

/**
 * esbuild options shared by all functions: ESM for Node 22, minified, external source maps
 * (read at runtime thanks to `NODE_OPTIONS=--enable-source-maps`), AWS SDK v3 from the runtime.
 *
 * @example
 * ```ts
 * new NodejsFunction(this, 'Fn', { entry, bundling: defaultBundling({ minify: false }) });
 * ```
 */
export function defaultBundling(overrides: BundlingOptions = {}): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    // Typed errors name themselves after their class (MskGuardError sets `name = new.target.name`).
    keepNames: true,
    sourceMap: true,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: ESM_REQUIRE_BANNER,
    externalModules: ['@aws-sdk/*', ...missingCacheClients()],
    ...overrides,
  };
}

/** Inputs of {@link nodejsFunctionDefaults}. */
export interface FunctionDefaultsInput {
  /** Handler file, absolute or relative to the working directory of `cdk synth`. */
  readonly entry: string;
  /** Names the construct in the error for a missing entry. */
  readonly owner: string;
  /** Exported handler name. */
  readonly handler: string;
  readonly bundling?: BundlingOptions;
  /** @default {@link LAMBDA_RUNTIME} */
  readonly runtime?: Runtime;
  readonly logRetention: RetentionDays;
  /**
   * Customer-managed key for the log group; its key policy must allow `logs.<region>.amazonaws.com`.
   * @default - CloudWatch Logs' own encryption (acknowledged for checkov CKV_AWS_158)
   */
  readonly logEncryptionKey?: IKey;
}

/**
 * The props every mskguard NodejsFunction shares: ARM64, the default runtime, JSON logs into an explicit
 * log group with a retention, source maps enabled, Powertools service and namespace.
 */
export function nodejsFunctionDefaults(scope: Construct, input: FunctionDefaultsInput): NodejsFunctionProps {
  const logGroup = new LogGroup(scope, 'LogGroup', {
    retention: input.logRetention,
    ...(input.logEncryptionKey ? { encryptionKey: input.logEncryptionKey } : {}),
  });
  if (!input.logEncryptionKey) {
    acknowledgeCheckov(logGroup, 'CKV_AWS_158', LOG_GROUP_KMS_REASON);
  }
  return {
    entry: resolveEntry(input.entry, input.owner),
    handler: input.handler,
    runtime: input.runtime ?? LAMBDA_RUNTIME,
    architecture: Architecture.ARM_64,
    bundling: defaultBundling(input.bundling),
    loggingFormat: LoggingFormat.JSON,
    logGroup,
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    },
  };
}

const LOG_GROUP_KMS_REASON =
  'CloudWatch Logs encrypts every log group at rest with its own keys; a customer key is optional ' +
  '(the logEncryptionKey prop) because the logs carry batch coordinates and counts, never record payloads.';

/** Default log retention of function log groups. */
export const DEFAULT_LOG_RETENTION: RetentionDays = RetentionDays.ONE_MONTH;

const SECRET_LIKE = /(PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL|SECRET)/i;
/**
 * A name that refers to a secret instead of holding it (what the error below asks for), whatever
 * comes before the suffix: `DB_PASSWORD_SECRET_ARN` names where the password is, not the password.
 */
const SECRET_REFERENCE = /_SECRET_(ARN|ID|NAME)$/i;

/**
 * Rejects extra environment variables whose name suggests a secret value: the stack's rule is
 * that functions get names and ARNs only, and read secrets from Secrets Manager at runtime.
 */
export function assertNoSecretsInEnvironment(
  environment: Readonly<Record<string, string>>,
  where: string,
): void {
  const offending = Object.keys(environment).filter(
    (name) => SECRET_LIKE.test(name) && !SECRET_REFERENCE.test(name),
  );
  if (offending.length > 0) {
    throw new SecretInEnvironmentError(where, offending);
  }
}

/** An environment variable name looks like it carries a secret value. */
export class SecretInEnvironmentError extends ConfigurationError {
  public constructor(where: string, names: readonly string[]) {
    super(
      `${where}: environment variable(s) ${names.join(', ')} look like secrets. Store the value in Secrets ` +
        'Manager, pass its ARN (a name ending in _SECRET_ARN) and read it at runtime.',
    );
  }
}

/** cdk-nag acknowledgements shared by every mskguard NodejsFunction (managed policies, runtime pin). */
export function suppressManagedPolicies(fn: NodejsFunction, inVpc: boolean): void {
  const managed = ['AWSLambdaBasicExecutionRole', ...(inVpc ? ['AWSLambdaVPCAccessExecutionRole'] : [])];
  for (const policy of managed) {
    Validations.of(fn).acknowledge({
      // AWS-maintained log and ENI permissions; our own statements carry the data-plane scoping.
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
      reason:
        `${policy} is the AWS-maintained minimum for a Lambda function (CloudWatch Logs, and ENIs when in a VPC); ` +
        'all data access is granted by scoped inline statements.',
    });
  }
  Validations.of(fn).acknowledge({
    // The default is the newest Node runtime; a `runtime` prop naming an older one is deliberate.
    id: 'AwsSolutions-L1',
    reason:
      'The runtime is named, never "latest" (docs/decisions/0009-packaging.md), so a CDK upgrade never ' +
      'changes the runtime under a running consumer; an older runtime is chosen through the runtime prop.',
  });
}

/**
 * `text` as an EC2 security group (or rule) description: at most 255 characters of the set EC2
 * accepts (`a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`). A consumer group id may be 200 characters long, a
 * construct id anything: either would fail the deploy, not the synth.
 */
export function securityGroupDescription(text: string): string {
  return cut(text.replace(/[^a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]/g, '_'), 255);
}

/** `text` as a Lambda function description: at most 256 characters (a long topic and group id). */
export function functionDescription(text: string): string {
  return cut(text, 256);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
