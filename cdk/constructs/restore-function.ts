import { Duration, Stack } from 'aws-cdk-lib';
import type { SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.ts';
import { scratchGroupFor } from '../../shared/restore/consumer-offsets-reader.ts';
import { MIN_FUNCTION_TIMEOUT_MS } from '../../shared/restore/deadline.ts';
import { acknowledgeFunctionFindings } from '../checkov.ts';
import {
  DEFAULT_LOG_RETENTION,
  nodejsFunctionDefaults,
  suppressManagedPolicies,
} from '../function-defaults.ts';
import { FUNCTION_ENV, type RestoreTarget } from '../function-env.ts';
import { grantRestoreTableAccess } from '../grants.ts';
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

/**
 * The consumer group restore uses to read `__consumer_offsets` for `group` (kafkajs consumers
 * always join a group). One fixed name per restored group keeps the IAM grant free of wildcards.
 */
export function restoreScratchGroup(group: string): string {
  return scratchGroupFor(group);
}

/** Properties of {@link RestoreFunction}. */
export interface RestoreFunctionProps {
  /**
   * Handler file (absolute, or relative to the directory `cdk synth` runs in).
   * @default mskguard's own restore handler, shipped in the package
   */
  readonly entry?: string;
  /** @default {@link LAMBDA_RUNTIME} */
  readonly runtime?: Runtime;
  /** Exported handler name. @default 'handler' */
  readonly handler?: string;
  /** The cluster whose consumer groups are restored. */
  readonly cluster: KafkaCluster;
  /** Checkpoint (read, epoch bump) and audit (write) tables. */
  readonly tables: CheckpointTables;
  /** The consumers it may restore: their groups, topics and event source mappings. */
  readonly consumers: readonly GuardedKafkaConsumer[];
  /**
   * Function timeout: restore disables the ESM and waits for `Disabled` (up to 5 min), for the group
   * to become Empty (3 min) and for `Enabled` again (5 min). The function cuts its waits to its
   * remaining time, so a shorter timeout still ends with a typed error, but may give up sooner. At
   * least 100 s: with less, every restore of an enabled mapping is refused (synth fails).
   * @default Duration.minutes(15) (Lambda's maximum: the three waits fit in it)
   */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** esbuild overrides. @default - {@link defaultBundling} */
  readonly bundling?: BundlingOptions;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Customer-managed key for the log group. @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: IKey;
}

/**
 * The restore Lambda (design §7): runs the restore planner/executor inside the VPC, next to the
 * brokers. It may disable/enable only the listed event source mappings, alter only their consumer
 * groups' offsets, read their checkpoints, bump their dedup epoch and write audit items.
 *
 * @example
 * ```ts
 * new RestoreFunction(this, 'Restore', { cluster, tables, consumers: [orders] });
 * ```
 */
export class RestoreFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly securityGroup: SecurityGroup;
  /** The function's timeout (the watchdog treats an audit item `running` for longer as a dead run). */
  public readonly timeout: Duration;
  /** The groups it may restore, as passed in MSKGUARD_RESTORE_TARGETS. */
  public readonly targets: readonly RestoreTarget[];

  public constructor(scope: Construct, id: string, props: RestoreFunctionProps) {
    super(scope, id);
    if (props.consumers.length === 0) throw new ConfigurationError('RestoreFunction: consumers is empty.');
    const cluster = props.cluster;
    this.timeout = props.timeout ?? Duration.minutes(15);
    // A shorter timeout would deploy a function that refuses every restore of an enabled mapping
    // (RestoreDeadlineError): say so at synth, not during an incident.
    if (!this.timeout.isUnresolved() && this.timeout.toMilliseconds() < MIN_FUNCTION_TIMEOUT_MS) {
      throw new ConfigurationError(
        `RestoreFunction ${id}: timeout ${this.timeout.toHumanString()} is too short. A restore disables the ` +
          `mapping, waits and re-enables it, and refuses to start with less than ${MIN_FUNCTION_TIMEOUT_MS / 1000} s ` +
          'left: give it at least Duration.seconds(' +
          `${MIN_FUNCTION_TIMEOUT_MS / 1000}), or leave the default (15 minutes).`,
      );
    }
    this.targets = props.consumers.map((c) => c.target);
    this.securityGroup = brokerClientSecurityGroup(
      this,
      'SecurityGroup',
      cluster,
      'restore',
      'the brokers, DynamoDB and the Lambda API',
    );
    const defaults = nodejsFunctionDefaults(this, {
      entry: props.entry ?? packagedEntry('restore'),
      owner: `RestoreFunction ${id}`,
      handler: props.handler ?? 'handler',
      ...(props.runtime ? { runtime: props.runtime } : {}),
      ...(props.bundling ? { bundling: props.bundling } : {}),
      logRetention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      ...(props.logEncryptionKey ? { logEncryptionKey: props.logEncryptionKey } : {}),
    });
    this.function = new NodejsFunction(this, 'Function', {
      ...defaults,
      description: 'mskguard restore: puts consumer-group offsets back (plan, execute, verify, audit)',
      memorySize: props.memorySize ?? 512,
      timeout: this.timeout,
      // One restore at a time: two concurrent runs on one group would race on its offsets.
      reservedConcurrentExecutions: 1,
      vpc: cluster.vpc,
      vpcSubnets: { subnets: [...cluster.subnets] },
      securityGroups: [this.securityGroup],
      environment: {
        ...defaults.environment,
        ...kafkaClusterEnvironment(cluster),
        [FUNCTION_ENV.CHECKPOINT_TABLE]: props.tables.checkpoints.tableName,
        [FUNCTION_ENV.AUDIT_TABLE]: props.tables.audit.tableName,
        [FUNCTION_ENV.RESTORE_TARGETS]: Stack.of(this).toJsonString(this.targets),
      },
    });
    this.grantAccess(props);
    acknowledgeFunctionFindings(this.function, { invokedBy: 'direct' });
  }

  private grantAccess(props: RestoreFunctionProps): void {
    const fn = this.function;
    const groups = props.consumers.map((c) => c.consumerGroupId);
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'EventSourceMappingToggle',
        actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        resources: props.consumers.map((c) => c.eventSourceMapping.eventSourceMappingArn),
      }),
    );
    grantRestoreTableAccess(fn, props.tables, groups);
    const cluster = props.cluster;
    if (cluster.auth.mechanism === 'scram') {
      grantScramSecretRead(fn, cluster.auth);
    } else {
      const arns = kafkaResourceArns(cluster.clusterArn);
      const topics = [...new Set(props.consumers.map((c) => c.topic)), '__consumer_offsets'];
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'KafkaClusterConnect',
          actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
          resources: [arns.cluster],
        }),
      );
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'KafkaTopicOffsets',
          // ReadData on the consumer topics: Kafka authorises an OffsetCommit as READ on each topic it
          // commits (MSK maps READ to ReadData); on __consumer_offsets, which the consumer-offsets
          // strategy decodes. No strategy fetches a consumer topic's records.
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
          resources: topics.map((t) => arns.topic(t)),
        }),
      );
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'KafkaGroupOffsets',
          actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
          resources: groups.flatMap((g) => [arns.group(g), arns.group(restoreScratchGroup(g))]),
        }),
      );
    }
    suppressManagedPolicies(fn, true);
  }
}
