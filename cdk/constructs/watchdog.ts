import { Duration, Stack } from 'aws-cdk-lib';
import type { SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.ts';
import { WATCHDOG_ENV } from '../../shared/watchdog/lambda.ts';
import type { WatchdogTarget } from '../../shared/watchdog/types.ts';
import { acknowledgeFunctionFindings } from '../checkov.ts';
import {
  DEFAULT_LOG_RETENTION,
  nodejsFunctionDefaults,
  suppressManagedPolicies,
} from '../function-defaults.ts';
import { FUNCTION_ENV } from '../function-env.ts';
import { grantWatchdogTableAccess } from '../grants.ts';
import {
  brokerClientSecurityGroup,
  grantScramSecretRead,
  type KafkaCluster,
  kafkaClusterEnvironment,
  kafkaResourceArns,
} from '../kafka-cluster.ts';
import { packagedEntry } from '../paths.ts';
import type { CheckpointTables } from './checkpoint-tables.ts';
import type { GuardedKafkaConsumer } from './guarded-kafka-consumer.ts';

/** Properties of {@link Watchdog}. */
export interface WatchdogProps {
  /** The cluster the consumers read (the watchdog reads offsets from it). */
  readonly cluster: KafkaCluster;
  /** Checkpoints (read) and restore audit (read) tables. */
  readonly tables: CheckpointTables;
  /** Consumers to watch. */
  readonly consumers: readonly GuardedKafkaConsumer[];
  /**
   * How long a restore may run (the restore function's timeout): an audit item still `running` after
   * this is a dead run and no longer excuses a disabled mapping.
   * @default Duration.minutes(15)
   */
  readonly maxRestoreDuration?: Duration;
  /** How often it runs. @default Duration.minutes(1) */
  readonly interval?: Duration;
  /** Handler file. @default mskguard's own watchdog handler, shipped in the package */
  readonly entry?: string;
  /** @default {@link LAMBDA_RUNTIME} */
  readonly runtime?: Runtime;
  /** esbuild overrides. @default - {@link defaultBundling} */
  readonly bundling?: BundlingOptions;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Customer-managed key for the log group. @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: IKey;
  /** One run at a time is enough; a second one only doubles the datapoints. @default 1 */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The watchdog (design §8): a small function, run every minute by an EventBridge rule, that measures
 * each consumer from outside — its ESM's State, StateTransitionReason and LastProcessingResult, a
 * running restore (audit table), its lag on the broker and how stale its checkpoints are where records
 * wait — and prints them as EMF metrics. It runs in the cluster's VPC with its own security group, the
 * same network path as the restore function. Its alarms are created by {@link OnCall}.
 *
 * @example
 * ```ts
 * const watchdog = new Watchdog(this, 'Watchdog', { cluster, tables, consumers: [orders] });
 * new OnCall(this, 'OnCall', { consumers: [orders], watchdog });
 * ```
 */
export class Watchdog extends Construct {
  public readonly function: NodejsFunction;
  public readonly rule: Rule;
  public readonly securityGroup: SecurityGroup;
  /** How often it runs: one datapoint per run, so {@link OnCall} sizes the watchdog alarms' periods by it. */
  public readonly interval: Duration;
  /** The consumers it watches, as passed in MSKGUARD_WATCHDOG_TARGETS. */
  public readonly targets: readonly WatchdogTarget[];

  public constructor(scope: Construct, id: string, props: WatchdogProps) {
    super(scope, id);
    if (props.consumers.length === 0) throw new ConfigurationError('Watchdog: consumers is empty.');
    const interval = props.interval ?? Duration.minutes(1);
    if (interval.toSeconds() < 60 || interval.toSeconds() % 60 !== 0)
      throw new ConfigurationError(
        'Watchdog: interval must be a whole number of minutes, at least 1 (EventBridge schedules, alarm periods).',
      );
    this.interval = interval;
    const cluster = props.cluster;
    this.targets = props.consumers.map((c) => c.target);
    this.securityGroup = brokerClientSecurityGroup(
      this,
      'SecurityGroup',
      cluster,
      'watchdog',
      'the brokers, DynamoDB and the Lambda API',
    );
    const defaults = nodejsFunctionDefaults(this, {
      entry: props.entry ?? packagedEntry('watchdog'),
      owner: `Watchdog ${id}`,
      handler: 'handler',
      ...(props.runtime ? { runtime: props.runtime } : {}),
      ...(props.bundling ? { bundling: props.bundling } : {}),
      logRetention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      ...(props.logEncryptionKey ? { logEncryptionKey: props.logEncryptionKey } : {}),
    });
    this.function = new NodejsFunction(this, 'Function', {
      ...defaults,
      description: 'mskguard watchdog: ESM state, lag and checkpoint age of each consumer, every minute',
      memorySize: 256,
      timeout: Duration.seconds(50),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 1,
      vpc: cluster.vpc,
      vpcSubnets: { subnets: [...cluster.subnets] },
      securityGroups: [this.securityGroup],
      environment: {
        ...defaults.environment,
        ...kafkaClusterEnvironment(cluster),
        [FUNCTION_ENV.CHECKPOINT_TABLE]: props.tables.checkpoints.tableName,
        [FUNCTION_ENV.AUDIT_TABLE]: props.tables.audit.tableName,
        [WATCHDOG_ENV.TARGETS]: Stack.of(this).toJsonString(this.targets),
        [WATCHDOG_ENV.MAX_RESTORE_SECONDS]: String(
          (props.maxRestoreDuration ?? Duration.minutes(15)).toSeconds(),
        ),
      },
    });
    this.rule = new Rule(this, 'Schedule', {
      description: 'Runs the mskguard watchdog',
      schedule: Schedule.rate(interval),
      // A late run measures a stale instant; the next one is a minute away.
      targets: [new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
    this.grantAccess(props);
    acknowledgeFunctionFindings(this.function, { invokedBy: 'schedule' });
  }

  private grantAccess(props: WatchdogProps): void {
    const fn = this.function;
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'EventSourceMappingRead',
        actions: ['lambda:GetEventSourceMapping'],
        resources: props.consumers.map((c) => c.eventSourceMapping.eventSourceMappingArn),
      }),
    );
    grantWatchdogTableAccess(
      fn,
      props.tables,
      props.consumers.map((c) => c.consumerGroupId),
    );
    const cluster = props.cluster;
    if (cluster.auth.mechanism === 'scram') {
      grantScramSecretRead(fn, cluster.auth);
    } else {
      const arns = kafkaResourceArns(cluster.clusterArn);
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'KafkaClusterConnect',
          actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
          resources: [arns.cluster],
        }),
      );
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'KafkaOffsetsRead',
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:DescribeGroup'],
          resources: [
            ...new Set(props.consumers.map((c) => arns.topic(c.topic))),
            ...props.consumers.map((c) => arns.group(c.consumerGroupId)),
          ],
        }),
      );
    }
    suppressManagedPolicies(fn, true);
  }
}
