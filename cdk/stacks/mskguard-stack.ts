import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.ts';
import { CheckpointTables } from '../constructs/checkpoint-tables.ts';
import { DedupCache } from '../constructs/dedup-cache.ts';
import { DemoMskCluster, type DemoMskClusterProps } from '../constructs/demo-msk-cluster.ts';
import { GuardedKafkaConsumer } from '../constructs/guarded-kafka-consumer.ts';
import { KafkaTopics, type TopicSpec } from '../constructs/kafka-topics.ts';
import { OnCall } from '../constructs/on-call.ts';
import { PipelineDashboard } from '../constructs/pipeline-dashboard.ts';
import { RestoreFunction } from '../constructs/restore-function.ts';
import type { ConsumerAlarmThresholds } from '../consumer-alarms.ts';
import {
  type ExistingClusterAttributes,
  importExistingCluster,
  type KafkaCluster,
} from '../kafka-cluster.ts';
import { packagedEntry } from '../paths.ts';

/** The cluster the stack uses: a demo cluster it creates, or an existing one described explicitly. */
export type ClusterConfig =
  | { readonly mode: 'demo'; readonly demo?: DemoMskClusterProps }
  | ({ readonly mode: 'existing' } & ExistingClusterAttributes);

/** The dedup cache backend. */
export type CacheConfig =
  | { readonly backend: 'elasticache' }
  | {
      readonly backend: 'upstash' /** Secret ARN or name holding {"url","token"}. */;
      readonly secret: string;
    };

/** One guarded consumer of the stack. */
export interface ConsumerConfig {
  /** Construct id (letters and digits). */
  readonly name: string;
  readonly topic: string;
  readonly consumerGroupId: string;
  /** Your handler file, relative to where `cdk synth` runs. @default mskguard's demo order consumer */
  readonly entry?: string;
  /** @default 500 */
  readonly batchSize?: number;
  /** @default 1 */
  readonly maxBatchingWindowSeconds?: number;
  /** @default 1 */
  readonly minimumPollers?: number;
  /** @default 3 */
  readonly maximumPollers?: number;
  /** @default 3 */
  readonly retryAttempts?: number;
  /** @default 'TRIM_HORIZON' */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** @default 60 */
  readonly timeoutSeconds?: number;
  /** @default 1024 */
  readonly memorySize?: number;
}

/** Properties of {@link MskGuardStack}. */
export interface MskGuardStackProps extends StackProps {
  readonly cluster: ClusterConfig;
  /** Topics to create. */
  readonly topics: readonly TopicSpec[];
  readonly cache: CacheConfig;
  readonly consumers: readonly ConsumerConfig[];
  /** @default mskguard's own restore handler */
  readonly restoreEntry?: string;
  /** @default [] */
  readonly alarmEmails?: readonly string[];
  /** @default [] */
  readonly alarmHttpsEndpoints?: readonly string[];
  /** @default - the defaults of {@link ConsumerAlarmThresholds} */
  readonly alarmThresholds?: ConsumerAlarmThresholds;
  /** Customer-managed KMS key ARN for the tables. @default - AWS-managed key */
  readonly tableKmsKeyArn?: string;
  /** Delete Kafka topics that leave the stack. @default false */
  readonly allowTopicDeletion?: boolean;
  /** esbuild overrides for every function (tests use it to speed bundling up). @default - defaults */
  readonly bundling?: BundlingOptions;
}

/**
 * The whole mskguard deployment: cluster (demo or imported), topics, tables, dedup cache, guarded
 * consumers with their ESMs, the restore function, alarms with an on-call topic, and a dashboard.
 *
 * @example
 * ```ts
 * new MskGuardStack(app, 'MskGuard', { cluster: { mode: 'demo' }, topics, cache: { backend: 'elasticache' }, consumers });
 * ```
 */
export class MskGuardStack extends Stack {
  public readonly cluster: KafkaCluster;
  public readonly topics: KafkaTopics;
  public readonly tables: CheckpointTables;
  public readonly cache: DedupCache;
  public readonly consumers: readonly GuardedKafkaConsumer[];
  public readonly restore: RestoreFunction;
  public readonly onCall: OnCall;
  public readonly dashboard: PipelineDashboard;

  public constructor(scope: Construct, id: string, props: MskGuardStackProps) {
    super(scope, id, props);
    if (props.consumers.length === 0)
      throw new ConfigurationError('MskGuardStack: declare at least one consumer.');
    const bundling = props.bundling ? { bundling: props.bundling } : {};
    this.cluster =
      props.cluster.mode === 'demo'
        ? new DemoMskCluster(this, 'DemoCluster', {
            natGateways: props.cache.backend === 'upstash' ? 1 : 0,
            ...props.cluster.demo,
          }).cluster
        : importExistingCluster(this, props.cluster);

    this.topics = new KafkaTopics(this, 'Topics', {
      cluster: this.cluster,
      topics: props.topics,
      allowDeletion: props.allowTopicDeletion ?? false,
      ...bundling,
    });
    const encryptionKey = props.tableKmsKeyArn
      ? Key.fromKeyArn(this, 'TableKey', props.tableKmsKeyArn)
      : undefined;
    this.tables = new CheckpointTables(this, 'Tables', encryptionKey ? { encryptionKey } : {});
    this.cache =
      props.cache.backend === 'upstash'
        ? new DedupCache(this, 'DedupCache', { backend: 'upstash', upstashSecret: props.cache.secret })
        : new DedupCache(this, 'DedupCache', {
            backend: 'elasticache',
            vpc: this.cluster.vpc,
            subnets: this.cluster.subnets,
          });

    const declaredTopics = new Set(props.topics.map((t) => t.name));
    this.consumers = props.consumers.map((c) => {
      const consumer = new GuardedKafkaConsumer(this, c.name, {
        entry: c.entry ?? packagedEntry('order-consumer'),
        consumerGroupId: c.consumerGroupId,
        topic: c.topic,
        cluster: this.cluster,
        tables: this.tables,
        cache: this.cache,
        startingPosition:
          c.startingPosition === 'LATEST' ? StartingPosition.LATEST : StartingPosition.TRIM_HORIZON,
        ...(c.batchSize === undefined ? {} : { batchSize: c.batchSize }),
        ...(c.maxBatchingWindowSeconds === undefined
          ? {}
          : { maxBatchingWindow: Duration.seconds(c.maxBatchingWindowSeconds) }),
        provisionedPollers: {
          ...(c.minimumPollers === undefined ? {} : { minimum: c.minimumPollers }),
          ...(c.maximumPollers === undefined ? {} : { maximum: c.maximumPollers }),
        },
        ...(c.retryAttempts === undefined ? {} : { retryAttempts: c.retryAttempts }),
        ...(c.timeoutSeconds === undefined ? {} : { timeout: Duration.seconds(c.timeoutSeconds) }),
        ...(c.memorySize === undefined ? {} : { memorySize: c.memorySize }),
        ...bundling,
      });
      // The ESM should not start polling a topic the stack has not created yet.
      if (declaredTopics.has(c.topic)) consumer.eventSourceMapping.node.addDependency(this.topics);
      return consumer;
    });

    this.restore = new RestoreFunction(this, 'Restore', {
      entry: props.restoreEntry ?? packagedEntry('restore'),
      cluster: this.cluster,
      tables: this.tables,
      consumers: this.consumers,
      ...bundling,
    });
    this.onCall = new OnCall(this, 'OnCall', {
      consumers: this.consumers,
      restore: this.restore,
      emails: props.alarmEmails ?? [],
      httpsEndpoints: props.alarmHttpsEndpoints ?? [],
      ...(props.alarmThresholds ? { thresholds: props.alarmThresholds } : {}),
    });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      consumers: this.consumers,
      onCall: this.onCall,
    });
    this.outputs();
  }

  private outputs(): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('ClusterArn', this.cluster.clusterArn, 'MSK cluster ARN');
    out('CheckpointTableName', this.tables.checkpoints.tableName, 'DynamoDB checkpoints table');
    out('CheckpointTableArn', this.tables.checkpoints.tableArn, 'DynamoDB checkpoints table ARN');
    out('QuarantineTableName', this.tables.quarantine.tableName, 'DynamoDB quarantine table');
    out('QuarantineTableArn', this.tables.quarantine.tableArn, 'DynamoDB quarantine table ARN');
    out('AuditTableName', this.tables.audit.tableName, 'DynamoDB restore audit table');
    out('AuditTableArn', this.tables.audit.tableArn, 'DynamoDB restore audit table ARN');
    out('RestoreFunctionName', this.restore.function.functionName, 'Invoke to plan or run a restore');
    out('OnCallTopicArn', this.onCall.topic.topicArn, 'SNS topic every alarm notifies');
    this.consumers.forEach((c, i) => {
      out(
        `Consumer${i}FunctionName`,
        c.function.functionName,
        `Guarded consumer of group ${c.consumerGroupId}`,
      );
      out(
        `Consumer${i}EventSourceMappingId`,
        c.eventSourceMapping.eventSourceMappingId,
        `ESM of ${c.consumerGroupId}`,
      );
    });
  }
}
