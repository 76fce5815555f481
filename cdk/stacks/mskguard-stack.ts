import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.ts';
import type { ChatbotChannels } from '../constructs/chatbot.ts';
import { CheckpointTables } from '../constructs/checkpoint-tables.ts';
import { DedupCache } from '../constructs/dedup-cache.ts';
import { DemoMskCluster, type DemoMskClusterProps } from '../constructs/demo-msk-cluster.ts';
import { GuardedKafkaConsumer } from '../constructs/guarded-kafka-consumer.ts';
import { KafkaTopics, type TopicSpec } from '../constructs/kafka-topics.ts';
import { OnCall } from '../constructs/on-call.ts';
import { PipelineDashboard } from '../constructs/pipeline-dashboard.ts';
import { RestoreFunction } from '../constructs/restore-function.ts';
import { Watchdog } from '../constructs/watchdog.ts';
import type { ConsumerAlarmThresholds } from '../consumer-alarms.ts';
import {
  type ExistingClusterAttributes,
  importExistingCluster,
  type KafkaCluster,
} from '../kafka-cluster.ts';
import { packagedEntry } from '../paths.ts';
import type { WatchdogAlarmThresholds } from '../watchdog-alarms.ts';

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
  /** `AT_TIMESTAMP` needs `startingPositionTimestamp`. @default 'TRIM_HORIZON' */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  /** With `startingPosition: 'AT_TIMESTAMP'` only: the start time in Unix seconds. @default - none */
  readonly startingPositionTimestamp?: number;
  /** @default 60 */
  readonly timeoutSeconds?: number;
  /** @default 1024 */
  readonly memorySize?: number;
  /**
   * Reserved concurrency of the consumer function. A Kafka mapping runs at most one invocation per
   * partition at a time, so the partition count never throttles it and caps what it can take from
   * the account's pool.
   * @default - the partition count of its topic when the stack declares the topic, else unreserved
   */
  readonly reservedConcurrency?: number;
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
  /**
   * Customer-managed KMS key ARN for the functions' log groups (its policy must allow
   * `logs.<region>.amazonaws.com`). @default - CloudWatch Logs' own encryption
   */
  readonly logKmsKeyArn?: string;
  /** An existing SNS topic for the alarms (PagerDuty, Opsgenie, a shared pager topic). @default - a new encrypted topic */
  readonly alarmTopicArn?: string;
  /** AWS Chatbot channels (Slack, Teams) for the alarms. @default - none */
  readonly alarmChatbot?: ChatbotChannels;
  /** Thresholds of the watchdog's alarms. @default - the defaults of {@link WatchdogAlarmThresholds} */
  readonly watchdogThresholds?: WatchdogAlarmThresholds;
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
  public readonly watchdog: Watchdog;
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
    const logKey: IKey | undefined = props.logKmsKeyArn
      ? Key.fromKeyArn(this, 'LogKey', props.logKmsKeyArn)
      : undefined;
    const logs = logKey ? { logEncryptionKey: logKey } : {};
    const partitionsOf = new Map(props.topics.map((t) => [t.name, t.partitions]));
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
        ...configuredStartingPosition(c),
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
        ...reserved(c.reservedConcurrency ?? partitionsOf.get(c.topic)),
        ...logs,
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
      ...logs,
      ...bundling,
    });
    this.watchdog = new Watchdog(this, 'Watchdog', {
      cluster: this.cluster,
      tables: this.tables,
      consumers: this.consumers,
      maxRestoreDuration: this.restore.timeout,
      ...logs,
      ...bundling,
    });
    this.onCall = new OnCall(this, 'OnCall', {
      consumers: this.consumers,
      restore: this.restore,
      watchdog: this.watchdog,
      ...(props.alarmTopicArn ? { topic: Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) } : {}),
      ...(props.alarmChatbot ? { chatbot: props.alarmChatbot } : {}),
      ...(props.watchdogThresholds ? { watchdogThresholds: props.watchdogThresholds } : {}),
      emails: props.alarmEmails ?? [],
      httpsEndpoints: props.alarmHttpsEndpoints ?? [],
      ...(props.alarmThresholds ? { thresholds: props.alarmThresholds } : {}),
    });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      consumers: this.consumers,
      onCall: this.onCall,
      watchdog: this.watchdog,
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
    out('WatchdogFunctionName', this.watchdog.function.functionName, 'Measures the consumers every minute');
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

const STARTING_POSITIONS: Readonly<Record<string, StartingPosition>> = {
  TRIM_HORIZON: StartingPosition.TRIM_HORIZON,
  LATEST: StartingPosition.LATEST,
  AT_TIMESTAMP: StartingPosition.AT_TIMESTAMP,
};

/**
 * A consumer's starting position from its config (context JSON is untyped: an unknown value fails
 * synth instead of silently becoming TRIM_HORIZON). GuardedKafkaConsumer checks the timestamp.
 */
function configuredStartingPosition(c: ConsumerConfig): {
  startingPosition: StartingPosition;
  startingPositionTimestamp?: number;
} {
  const raw: unknown = c.startingPosition ?? 'TRIM_HORIZON';
  const position = typeof raw === 'string' ? STARTING_POSITIONS[raw] : undefined;
  if (position === undefined) {
    throw new ConfigurationError(
      `Consumer ${c.name}: startingPosition must be TRIM_HORIZON, LATEST or AT_TIMESTAMP (context ` +
        `mskguard:consumers), got ${JSON.stringify(raw)}.`,
    );
  }
  const timestamp: unknown = c.startingPositionTimestamp;
  if (timestamp !== undefined && typeof timestamp !== 'number') {
    throw new ConfigurationError(
      `Consumer ${c.name}: startingPositionTimestamp must be a number of Unix seconds (context ` +
        `mskguard:consumers), got ${JSON.stringify(timestamp)}.`,
    );
  }
  return {
    startingPosition: position,
    ...(timestamp === undefined ? {} : { startingPositionTimestamp: timestamp }),
  };
}

function reserved(value: number | undefined): { reservedConcurrentExecutions?: number } {
  return value === undefined ? {} : { reservedConcurrentExecutions: value };
}
