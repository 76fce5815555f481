import type { Duration } from 'aws-cdk-lib';
import { SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  type EventSourceMapping,
  type Runtime,
  type SourceAccessConfiguration,
  SourceAccessConfigurationType,
  type StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_CACHE_SHARDS } from '../../shared/dedup/sharded.ts';
import { ConfigurationError } from '../../shared/errors.ts';
import { acknowledgeFunctionFindings } from '../checkov.ts';
import { startingPosition, validateConsumerSettings } from '../consumer-validation.ts';
import {
  assertNoSecretsInEnvironment,
  DEFAULT_LOG_RETENTION,
  functionDescription,
  nodejsFunctionDefaults,
  securityGroupDescription,
  suppressManagedPolicies,
} from '../function-defaults.ts';
import { FUNCTION_ENV, type RestoreTarget } from '../function-env.ts';
import { grantConsumerTableAccess, grantEsmNetworking, grantKafkaConsumerAccess } from '../grants.ts';
import type { KafkaCluster } from '../kafka-cluster.ts';
import { ESM_EVENT_COUNT, type OnFailureDestination, onFailureTarget } from '../on-failure-destination.ts';
import { requireCacheClient } from '../paths.ts';
import type { CheckpointTables } from './checkpoint-tables.ts';
import type { DedupCache } from './dedup-cache.ts';

export type { OnFailureDestination } from '../on-failure-destination.ts';

/** Provisioned-mode pollers of the event source mapping. */
export interface ProvisionedPollers {
  /** @default 1 */
  readonly minimum?: number;
  /** @default 3 */
  readonly maximum?: number;
  /** ESMs with the same group name share pollers. @default - dedicated pollers */
  readonly pollerGroupName?: string;
}

/** Properties of {@link GuardedKafkaConsumer}. */
export interface GuardedKafkaConsumerProps {
  /** Your handler file: absolute, or relative to the directory `cdk synth` runs in. */
  readonly entry: string;
  /** @default {@link LAMBDA_RUNTIME} (nodejs24.x) */
  readonly runtime?: Runtime;
  /** Exported handler name. @default 'handler' */
  readonly handler?: string;
  /** Kafka consumer group id of the ESM. Always explicit: it names the offsets restore acts on. */
  readonly consumerGroupId: string;
  /** Topic to consume. */
  readonly topic: string;
  /** The cluster (ARN, auth, network). */
  readonly cluster: KafkaCluster;
  /** Checkpoint and quarantine tables. */
  readonly tables: CheckpointTables;
  /** The dedup cache. */
  readonly cache: DedupCache;
  /**
   * Where a new consumer group starts. `AT_TIMESTAMP` needs {@link GuardedKafkaConsumerProps.startingPositionTimestamp}.
   * @default StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: StartingPosition;
  /**
   * With `startingPosition: AT_TIMESTAMP` only: where a new consumer group starts, in Unix time
   * **seconds** (e.g. `Math.floor(Date.parse('2025-01-01T00:00:00Z') / 1000)`).
   * @default - none; required with AT_TIMESTAMP and refused otherwise
   */
  readonly startingPositionTimestamp?: number;
  /** Records per invocation (1–10,000). @default 500 */
  readonly batchSize?: number;
  /** How long the ESM gathers records before invoking. @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /**
   * Provisioned pollers. Always on: Kafka retries, partial batch responses and on-failure
   * destinations need provisioned mode.
   * @default { minimum: 1, maximum: 3 }
   */
  readonly provisionedPollers?: ProvisionedPollers;
  /** Retries of a failed batch before it goes to the on-failure destination (0–10,000; never infinite). @default 3 */
  readonly retryAttempts?: number;
  /** Records older than this go to the on-failure destination (60 s – 7 days). @default - no age limit */
  readonly maxRecordAge?: Duration;
  /** On-failure destination. @default - a new encrypted SQS queue with 14 days retention */
  readonly onFailure?: OnFailureDestination;
  /** @default 1024 */
  readonly memorySize?: number;
  /** Function timeout (Kafka ESMs allow at most 14 minutes). @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Redis hash tags the group's dedup keys are spread over (MSKGUARD_CACHE_SHARDS, read by
   * `guardOptionsFromEnv`): more than 1 lets a large group use several primaries of an ElastiCache
   * cluster. Changing it forgets one dedup window of the exact tier (docs/capacity.md).
   * @default 1
   */
  readonly cacheShards?: number;
  /** Extra environment (names and ARNs only; secret-looking names are rejected). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** esbuild overrides. @default - {@link defaultBundling} */
  readonly bundling?: BundlingOptions;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Customer-managed key for the log group. @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: IKey;
  /** Whether the ESM polls. @default true */
  readonly enabled?: boolean;
}

/**
 * A Kafka-triggered Lambda function wired for mskguard: NodejsFunction (ARM64, nodejs24.x by default,
 * source maps), an MSK event source mapping with an explicit consumer group, provisioned pollers,
 * ReportBatchItemFailures, bounded retries and an on-failure destination, and least-privilege
 * access to its topic, group, tables and cache.
 *
 * @example
 * ```ts
 * const orders = new GuardedKafkaConsumer(this, 'Orders', {
 *   entry: 'src/orders-handler.ts', consumerGroupId: 'orders-v1', topic: 'orders',
 *   cluster, tables, cache, batchSize: 200, retryAttempts: 5,
 * });
 * ```
 */
export class GuardedKafkaConsumer extends Construct {
  public readonly function: NodejsFunction;
  public readonly eventSourceMapping: EventSourceMapping;
  public readonly consumerGroupId: string;
  public readonly topic: string;
  /** The function's timeout (alarms compare duration with it). */
  public readonly timeout: Duration;
  /** The on-failure SQS queue, when the destination is SQS. */
  public readonly onFailureQueue: IQueue | undefined;
  /** The on-failure SNS topic, when the destination is SNS. */
  public readonly onFailureTopic: ITopic | undefined;
  /** The on-failure bucket, when the destination is S3. */
  public readonly onFailureBucket: IBucket | undefined;
  /** Security group of the function, when it runs in the VPC (ElastiCache backend). */
  public readonly securityGroup: SecurityGroup | undefined;

  /** What the restore function and the watchdog are told of this consumer (MSKGUARD_RESTORE_TARGETS). */
  public get target(): RestoreTarget {
    return {
      consumerGroupId: this.consumerGroupId,
      topic: this.topic,
      eventSourceMappingId: this.eventSourceMapping.eventSourceMappingId,
      functionName: this.function.functionName,
    };
  }

  public constructor(scope: Construct, id: string, props: GuardedKafkaConsumerProps) {
    super(scope, id);
    const settings = validateConsumerSettings(props);
    this.consumerGroupId = props.consumerGroupId;
    this.topic = props.topic;
    this.timeout = settings.timeout;
    const extraEnv = props.environment ?? {};
    const shards = props.cacheShards;
    if (shards !== undefined && (!Number.isInteger(shards) || shards < 1 || shards > MAX_CACHE_SHARDS)) {
      throw new ConfigurationError(
        `GuardedKafkaConsumer ${id}: cacheShards must be an integer from 1 to ${MAX_CACHE_SHARDS}, got ${shards}`,
      );
    }
    assertNoSecretsInEnvironment(extraEnv, `GuardedKafkaConsumer ${id}`);
    // Externals of the user's own (a layer that holds the client) are theirs to get right.
    if (!props.bundling?.externalModules)
      requireCacheClient(props.cache.backend, `GuardedKafkaConsumer ${id}`);

    const defaults = nodejsFunctionDefaults(this, {
      entry: props.entry,
      owner: `GuardedKafkaConsumer ${id}`,
      handler: props.handler ?? 'handler',
      ...(props.runtime ? { runtime: props.runtime } : {}),
      ...(props.bundling ? { bundling: props.bundling } : {}),
      logRetention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      ...(props.logEncryptionKey ? { logEncryptionKey: props.logEncryptionKey } : {}),
    });
    if (props.cache.requiresVpc) {
      this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
        vpc: props.cluster.vpc,
        description: securityGroupDescription(
          `mskguard consumer ${props.consumerGroupId}: egress to cache, DynamoDB and AWS APIs`,
        ),
      });
    }
    this.function = new NodejsFunction(this, 'Function', {
      ...defaults,
      description: functionDescription(
        `mskguard guarded consumer of ${props.topic} (group ${props.consumerGroupId})`,
      ),
      memorySize: props.memorySize ?? 1024,
      timeout: settings.timeout,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(this.securityGroup
        ? {
            vpc: props.cluster.vpc,
            vpcSubnets: { subnets: [...props.cluster.subnets] },
            securityGroups: [this.securityGroup],
          }
        : {}),
      environment: {
        ...defaults.environment,
        ...extraEnv,
        ...props.cache.environment(),
        [FUNCTION_ENV.CONSUMER_GROUP]: props.consumerGroupId,
        [FUNCTION_ENV.TOPIC]: props.topic,
        [FUNCTION_ENV.CHECKPOINT_TABLE]: props.tables.checkpoints.tableName,
        [FUNCTION_ENV.QUARANTINE_TABLE]: props.tables.quarantine.tableName,
        ...(props.cacheShards === undefined
          ? {}
          : { [FUNCTION_ENV.CACHE_SHARDS]: String(props.cacheShards) }),
      },
    });

    const destination = onFailureTarget(this, props.onFailure);
    this.onFailureQueue = destination.queue;
    this.onFailureTopic = destination.topic;
    this.onFailureBucket = destination.bucket;

    this.eventSourceMapping = this.function.addEventSourceMapping('KafkaEventSource', {
      eventSourceArn: props.cluster.clusterArn,
      kafkaTopic: props.topic,
      kafkaConsumerGroupId: props.consumerGroupId,
      ...startingPosition(id, props.startingPosition, props.startingPositionTimestamp),
      batchSize: settings.batchSize,
      maxBatchingWindow: settings.maxBatchingWindow,
      provisionedPollerConfig: settings.pollers,
      retryAttempts: settings.retryAttempts,
      reportBatchItemFailures: true,
      onFailure: destination.dlq,
      supportS3OnFailureDestination: true,
      ...(props.maxRecordAge ? { maxRecordAge: props.maxRecordAge } : {}),
      // OnCall alarms on the mapping's own counts: records it could deliver to no destination
      // (DroppedEventCount), and for S3, which has no message metric, records it sent there.
      metricsConfig: ESM_EVENT_COUNT,
      ...(props.enabled === undefined ? {} : { enabled: props.enabled }),
      ...sourceAccess(props.cluster),
    });

    this.grantAccess(props);
    acknowledgeFunctionFindings(this.function, {
      invokedBy: 'esm',
      outsideVpcReason:
        'With the Upstash cache the consumer needs no VPC: the event source mapping reaches the brokers in the ' +
        'VPC itself, and the function calls only DynamoDB and the Upstash REST endpoint over TLS.',
      unreservedReason:
        'reservedConcurrentExecutions is a prop; MskGuardStack sets it to the partition count of the topic. ' +
        'Unset here, the mapping still runs at most one invocation per partition.',
    });
  }

  private grantAccess(props: GuardedKafkaConsumerProps): void {
    const fn = this.function;
    grantKafkaConsumerAccess(fn, props.cluster, props.topic, props.consumerGroupId);
    grantEsmNetworking(fn);
    grantConsumerTableAccess(fn, props.tables, props.consumerGroupId, props.topic);
    props.cache.grantConnect(fn);
    suppressManagedPolicies(fn, this.securityGroup !== undefined);
  }
}

function sourceAccess(cluster: KafkaCluster): { sourceAccessConfigurations?: SourceAccessConfiguration[] } {
  if (cluster.auth.mechanism !== 'scram') return {};
  return {
    sourceAccessConfigurations: [
      { type: SourceAccessConfigurationType.SASL_SCRAM_512_AUTH, uri: cluster.auth.secret.secretArn },
    ],
  };
}
