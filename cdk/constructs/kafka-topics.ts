import { type CfnElement, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnTopic } from 'aws-cdk-lib/aws-msk';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.ts';
import { acknowledgeFrameworkFunction, acknowledgeFunctionFindings } from '../checkov.ts';
import {
  DEFAULT_LOG_RETENTION,
  nodejsFunctionDefaults,
  suppressManagedPolicies,
} from '../function-defaults.ts';
import {
  brokerClientSecurityGroup,
  grantScramSecretRead,
  type KafkaCluster,
  kafkaClusterEnvironment,
  kafkaResourceArns,
  supportsMskTopicResource,
} from '../kafka-cluster.ts';
import { packagedEntry } from '../paths.ts';

/** One topic to create. */
export interface TopicSpec {
  /** Topic name (1–249 of [a-zA-Z0-9._-]). */
  readonly name: string;
  /** Partition count; can only grow. */
  readonly partitions: number;
  /** Replication factor; fixed once created. */
  readonly replicationFactor: number;
  /** Topic configs (`retention.ms`, `cleanup.policy`, …). @default {} */
  readonly configs?: Readonly<Record<string, string>>;
}

/** How topics are managed. */
export const TopicManagement = {
  /** AWS::MSK::Topic (MSK provisioned, Kafka ≥ 3.6). */
  CLOUDFORMATION: 'cloudformation',
  /** A custom resource whose Lambda runs kafkajs admin in the VPC. */
  CUSTOM_RESOURCE: 'custom-resource',
} as const;
/** One value of {@link TopicManagement}. */
export type TopicManagement = (typeof TopicManagement)[keyof typeof TopicManagement];

/** Properties of {@link KafkaTopics}. */
export interface KafkaTopicsProps {
  /** The cluster. */
  readonly cluster: KafkaCluster;
  /** Topics to create. */
  readonly topics: readonly TopicSpec[];
  /**
   * Delete a topic from Kafka when it leaves the stack (or the stack is deleted). Off by default:
   * a topic holds data that outlives deployments.
   * @default false
   */
  readonly allowDeletion?: boolean;
  /**
   * Force a management mode.
   * @default - CLOUDFORMATION when the cluster supports AWS::MSK::Topic, else CUSTOM_RESOURCE
   */
  readonly management?: TopicManagement;
  /** Custom-resource handler file. @default mskguard's own provider, shipped in the package */
  readonly providerEntry?: string;
  /** esbuild overrides for the provider handler. @default - {@link defaultBundling} */
  readonly bundling?: BundlingOptions;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Creates the pipeline's topics: AWS::MSK::Topic when the cluster is MSK provisioned on Kafka 3.6+,
 * otherwise a custom resource backed by a Lambda function in the VPC (kafkajs admin, MSK IAM or
 * SCRAM auth) that creates topics and grows partitions, and deletes only when allowed.
 *
 * @example
 * ```ts
 * new KafkaTopics(this, 'Topics', { cluster, topics: [{ name: 'orders', partitions: 6, replicationFactor: 3 }] });
 * ```
 */
export class KafkaTopics extends Construct {
  /** The mode in use. */
  public readonly management: TopicManagement;
  /** Topic name → topic ARN. */
  public readonly topicArns: Readonly<Record<string, string>>;
  /** The custom-resource handler (custom-resource mode). */
  public readonly providerFunction: NodejsFunction | undefined;

  public constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    validateTopics(props.topics);
    this.management =
      props.management ??
      (supportsMskTopicResource(props.cluster)
        ? TopicManagement.CLOUDFORMATION
        : TopicManagement.CUSTOM_RESOURCE);
    if (this.management === TopicManagement.CLOUDFORMATION && !supportsMskTopicResource(props.cluster)) {
      throw new ConfigurationError(
        'KafkaTopics: AWS::MSK::Topic needs an MSK provisioned cluster on Kafka 3.6.0 or later; use the custom-resource mode.',
      );
    }
    const arns: Record<string, string> = {};
    if (this.management === TopicManagement.CLOUDFORMATION) {
      for (const topic of props.topics) arns[topic.name] = this.cfnTopic(props, topic);
    } else {
      const provider = this.provider(props);
      this.providerFunction = provider.fn;
      for (const topic of props.topics)
        arns[topic.name] = this.customTopic(props, topic, provider.serviceToken);
    }
    this.topicArns = arns;
  }

  private cfnTopic(props: KafkaTopicsProps, topic: TopicSpec): string {
    const resource = new CfnTopic(this, `Topic-${topic.name}`, {
      clusterArn: props.cluster.clusterArn,
      topicName: topic.name,
      partitionCount: topic.partitions,
      replicationFactor: topic.replicationFactor,
      ...(topic.configs && Object.keys(topic.configs).length > 0
        ? { configs: encodeTopicConfigs(topic.configs) }
        : {}),
    });
    resource.applyRemovalPolicy(props.allowDeletion ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);
    return resource.attrTopicArn;
  }

  private customTopic(props: KafkaTopicsProps, topic: TopicSpec, serviceToken: string): string {
    const cluster = props.cluster;
    new CustomResource(this, `Topic-${topic.name}`, {
      serviceToken,
      resourceType: 'Custom::MskGuardKafkaTopic',
      // The connection properties only make a change of cluster update every topic resource: the
      // provider connects to the cluster pinned in its environment and refuses a resource naming
      // another (its function is updated first, being a dependency of the resource).
      properties: {
        BootstrapBrokers: cluster.bootstrapBrokers,
        AuthMechanism: cluster.auth.mechanism,
        ...(cluster.auth.mechanism === 'scram' ? { ScramSecretArn: cluster.auth.secret.secretArn } : {}),
        TopicName: topic.name,
        Partitions: topic.partitions,
        ReplicationFactor: topic.replicationFactor,
        Configs: { ...(topic.configs ?? {}) },
        AllowDeletion: props.allowDeletion ?? false,
      },
    });
    return kafkaResourceArns(cluster.clusterArn).topic(topic.name);
  }

  private provider(props: KafkaTopicsProps): { fn: NodejsFunction; serviceToken: string } {
    const cluster = props.cluster;
    const securityGroup = brokerClientSecurityGroup(
      this,
      'ProviderSecurityGroup',
      cluster,
      'topics provider',
      'the Kafka brokers',
    );
    const handlerScope = new Construct(this, 'ProviderHandler');
    const defaults = nodejsFunctionDefaults(handlerScope, {
      entry: props.providerEntry ?? packagedEntry('kafka-topics-provider'),
      owner: `KafkaTopics ${this.node.id}`,
      handler: 'handler',
      ...(props.bundling ? { bundling: props.bundling } : {}),
      logRetention: DEFAULT_LOG_RETENTION,
    });
    const fn = new NodejsFunction(handlerScope, 'Function', {
      ...defaults,
      description: 'mskguard: creates Kafka topics and grows partitions (custom resource)',
      memorySize: 512,
      timeout: Duration.minutes(5),
      vpc: cluster.vpc,
      vpcSubnets: { subnets: [...cluster.subnets] },
      securityGroups: [securityGroup],
      // The one cluster the provider talks to: never the brokers or secret a resource names.
      environment: {
        ...defaults.environment,
        ...kafkaClusterEnvironment(cluster),
      },
    });
    this.grantAdmin(fn, props);
    suppressManagedPolicies(fn, true);
    const provider = new Provider(this, 'Provider', { onEventHandler: fn });
    suppressProviderFramework(provider, fn);
    acknowledgeFunctionFindings(fn, {
      invokedBy: 'customResource',
      unreservedReason:
        'Runs only during deployments, once per topic change; reserving concurrency for it would take capacity ' +
        'from the account for nothing.',
    });
    acknowledgeFrameworkFunction(provider.node.findChild('framework-onEvent'));
    return { fn, serviceToken: provider.serviceToken };
  }

  private grantAdmin(fn: NodejsFunction, props: KafkaTopicsProps): void {
    const cluster = props.cluster;
    if (cluster.auth.mechanism === 'scram') {
      grantScramSecretRead(fn, cluster.auth);
      return;
    }
    const arns = kafkaResourceArns(cluster.clusterArn);
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'KafkaClusterConnect',
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
        resources: [arns.cluster],
      }),
    );
    const topicActions = [
      'kafka-cluster:CreateTopic',
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:AlterTopic',
      'kafka-cluster:DescribeTopicDynamicConfiguration',
      'kafka-cluster:AlterTopicDynamicConfiguration',
      ...(props.allowDeletion ? ['kafka-cluster:DeleteTopic'] : []),
    ];
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'KafkaTopicAdmin',
        actions: topicActions,
        resources: props.topics.map((t) => arns.topic(t.name)),
      }),
    );
  }
}

/**
 * AWS::MSK::Topic takes its configs as a base64-encoded properties file (`key=value` lines).
 * Keys are sorted so the template is stable.
 */
export function encodeTopicConfigs(configs: Readonly<Record<string, string>>): string {
  const lines = Object.keys(configs)
    .sort()
    .map((key) => `${key}=${configs[key]}`);
  return Buffer.from(lines.join('\n'), 'utf8').toString('base64');
}

function validateTopics(topics: readonly TopicSpec[]): void {
  const seen = new Set<string>();
  for (const topic of topics) {
    if (!TOPIC_NAME.test(topic.name) || topic.name === '.' || topic.name === '..') {
      throw new ConfigurationError(`Invalid topic ${topic.name}: use 1–249 of [a-zA-Z0-9._-].`);
    }
    if (seen.has(topic.name)) throw new ConfigurationError(`Topic ${topic.name} is declared twice.`);
    seen.add(topic.name);
    if (!Number.isInteger(topic.partitions) || topic.partitions < 1) {
      throw new ConfigurationError(
        `Invalid partitions ${topic.partitions} for topic ${topic.name}: use an integer ≥ 1.`,
      );
    }
    if (!Number.isInteger(topic.replicationFactor) || topic.replicationFactor < 1) {
      throw new ConfigurationError(
        `Invalid replicationFactor ${topic.replicationFactor} for topic ${topic.name}: use an integer ≥ 1.`,
      );
    }
  }
}

function suppressProviderFramework(provider: Provider, onEvent: NodejsFunction): void {
  const onEventLogicalId = Stack.of(provider).getLogicalId(onEvent.node.defaultChild as CfnElement);
  Validations.of(provider).acknowledge(
    {
      // CDK-owned framework function: its role is managed by aws-cdk-lib.
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The custom-resource framework function of aws-cdk-lib uses AWSLambdaBasicExecutionRole for its logs.',
    },
    {
      // The framework may invoke any version of the onEvent handler (`<arn>:*`).
      id: `AwsSolutions-IAM5[Resource::<${onEventLogicalId}.Arn>:*]`,
      reason:
        'The custom-resource framework invokes the onEvent handler and its versions (`<function arn>:*`).',
    },
    {
      // aws-cdk-lib chooses and upgrades the framework's runtime, not this project.
      id: 'AwsSolutions-L1',
      reason:
        'The runtime of the custom-resource framework function is chosen by aws-cdk-lib and moves with it.',
    },
  );
}
