import { ConfigurationError } from '../shared/errors.ts';
import type { ChatbotChannels } from './constructs/chatbot.ts';
import type { TopicSpec } from './constructs/kafka-topics.ts';
import { KafkaClusterKind } from './kafka-cluster.ts';
import type {
  CacheConfig,
  ClusterConfig,
  ConsumerConfig,
  MskGuardStackProps,
} from './stacks/mskguard-stack.ts';

/**
 * Context keys of the app (`cdk deploy -c mskguard:cluster=existing -c mskguard:vpcId=vpc-… …`, or the
 * `context` block of cdk.json). With none given the app synthesizes the self-contained demo.
 */
export const CONTEXT_KEYS = {
  STACK_NAME: 'mskguard:stackName',
  CLUSTER: 'mskguard:cluster',
  CLUSTER_ARN: 'mskguard:clusterArn',
  CLUSTER_KIND: 'mskguard:clusterKind',
  KAFKA_VERSION: 'mskguard:kafkaVersion',
  BOOTSTRAP_BROKERS: 'mskguard:bootstrapBrokers',
  VPC_ID: 'mskguard:vpcId',
  SUBNET_IDS: 'mskguard:subnetIds',
  AVAILABILITY_ZONES: 'mskguard:availabilityZones',
  SECURITY_GROUP_ID: 'mskguard:securityGroupId',
  AUTH: 'mskguard:auth',
  SCRAM_SECRET_ARN: 'mskguard:scramSecretArn',
  /** The customer-managed KMS key of the SCRAM secret (the functions get kms:Decrypt on it). */
  SCRAM_SECRET_KEY_ARN: 'mskguard:scramSecretKeyArn',
  DEMO_KAFKA_VERSION: 'mskguard:demoKafkaVersion',
  DEMO_BROKER_INSTANCE_TYPE: 'mskguard:demoBrokerInstanceType',
  TOPICS: 'mskguard:topics',
  CACHE: 'mskguard:cache',
  UPSTASH_SECRET: 'mskguard:upstashSecret',
  CONSUMERS: 'mskguard:consumers',
  RESTORE_ENTRY: 'mskguard:restoreEntry',
  ALARM_EMAILS: 'mskguard:alarmEmails',
  ALARM_HTTPS_ENDPOINTS: 'mskguard:alarmHttpsEndpoints',
  TABLE_KMS_KEY_ARN: 'mskguard:tableKmsKeyArn',
  LOG_KMS_KEY_ARN: 'mskguard:logKmsKeyArn',
  ALARM_TOPIC_ARN: 'mskguard:alarmTopicArn',
  /** JSON {"slack":[{name,workspaceId,channelId}],"teams":[{name,teamId,tenantId,channelId}]}. */
  ALARM_CHATBOT: 'mskguard:alarmChatbot',
  ALLOW_TOPIC_DELETION: 'mskguard:allowTopicDeletion',
  NAG: 'mskguard:nag',
} as const;

/** Topics of the demo: one `orders` topic, 7 days of retention. */
export const DEMO_TOPICS: readonly TopicSpec[] = [
  { name: 'orders', partitions: 6, replicationFactor: 2, configs: { 'retention.ms': '604800000' } },
];

/** Consumers of the demo: the example order consumer. */
export const DEMO_CONSUMERS: readonly ConsumerConfig[] = [
  { name: 'OrderConsumer', topic: 'orders', consumerGroupId: 'mskguard-orders' },
];

/** Reads one context value; `-c` gives strings, cdk.json gives JSON values. */
export type ContextReader = (key: string) => unknown;

/** The app's configuration: stack name, whether cdk-nag runs, and the stack props. */
export interface AppConfig {
  readonly stackName: string;
  readonly nag: boolean;
  readonly props: MskGuardStackProps;
}

/**
 * Turns context into stack props, with typed errors naming the context key to fix.
 *
 * @example
 * ```ts
 * const config = appConfigFromContext((key) => app.node.tryGetContext(key));
 * new MskGuardStack(app, config.stackName, config.props);
 * ```
 */
export function appConfigFromContext(read: ContextReader): AppConfig {
  const cluster = clusterConfig(read);
  const existing = cluster.mode === 'existing';
  const topics = jsonValue<TopicSpec[]>(read, CONTEXT_KEYS.TOPICS) ?? (existing ? [] : [...DEMO_TOPICS]);
  const consumers =
    jsonValue<ConsumerConfig[]>(read, CONTEXT_KEYS.CONSUMERS) ?? (existing ? undefined : [...DEMO_CONSUMERS]);
  if (!consumers || consumers.length === 0) {
    throw new ConfigurationError(
      `Context ${CONTEXT_KEYS.CONSUMERS} is required with an existing cluster: a JSON array of ` +
        '{"name","topic","consumerGroupId"} (see docs/deploy.md).',
    );
  }
  const restoreEntry = stringValue(read, CONTEXT_KEYS.RESTORE_ENTRY);
  const tableKmsKeyArn = stringValue(read, CONTEXT_KEYS.TABLE_KMS_KEY_ARN);
  const logKmsKeyArn = stringValue(read, CONTEXT_KEYS.LOG_KMS_KEY_ARN);
  const alarmTopicArn = stringValue(read, CONTEXT_KEYS.ALARM_TOPIC_ARN);
  const alarmChatbot = jsonObject<ChatbotChannels>(read, CONTEXT_KEYS.ALARM_CHATBOT);
  return {
    stackName: stringValue(read, CONTEXT_KEYS.STACK_NAME) ?? 'MskGuard',
    nag: booleanValue(read, CONTEXT_KEYS.NAG) ?? true,
    props: {
      description: 'mskguard: effectively-once Kafka processing on AWS Lambda',
      cluster,
      topics,
      cache: cacheConfig(read),
      consumers,
      alarmEmails: listValue(read, CONTEXT_KEYS.ALARM_EMAILS),
      alarmHttpsEndpoints: listValue(read, CONTEXT_KEYS.ALARM_HTTPS_ENDPOINTS),
      allowTopicDeletion: booleanValue(read, CONTEXT_KEYS.ALLOW_TOPIC_DELETION) ?? false,
      ...(restoreEntry ? { restoreEntry } : {}),
      ...(tableKmsKeyArn ? { tableKmsKeyArn } : {}),
      ...(logKmsKeyArn ? { logKmsKeyArn } : {}),
      ...(alarmTopicArn ? { alarmTopicArn } : {}),
      ...(alarmChatbot ? { alarmChatbot } : {}),
    },
  };
}

function clusterConfig(read: ContextReader): ClusterConfig {
  const mode = stringValue(read, CONTEXT_KEYS.CLUSTER) ?? 'demo';
  if (mode === 'demo') {
    const kafkaVersion = stringValue(read, CONTEXT_KEYS.DEMO_KAFKA_VERSION);
    const brokerInstanceType = stringValue(read, CONTEXT_KEYS.DEMO_BROKER_INSTANCE_TYPE);
    return {
      mode: 'demo',
      demo: {
        ...(kafkaVersion ? { kafkaVersion } : {}),
        ...(brokerInstanceType ? { brokerInstanceType } : {}),
      },
    };
  }
  if (mode !== 'existing') {
    throw new ConfigurationError(`Context ${CONTEXT_KEYS.CLUSTER} must be demo or existing, got ${mode}.`);
  }
  const kind = stringValue(read, CONTEXT_KEYS.CLUSTER_KIND) ?? KafkaClusterKind.MSK_PROVISIONED;
  if (kind !== KafkaClusterKind.MSK_PROVISIONED && kind !== KafkaClusterKind.MSK_SERVERLESS) {
    throw new ConfigurationError(
      `Context ${CONTEXT_KEYS.CLUSTER_KIND} must be msk-provisioned or msk-serverless.`,
    );
  }
  const auth = stringValue(read, CONTEXT_KEYS.AUTH) ?? 'iam';
  if (auth !== 'iam' && auth !== 'scram')
    throw new ConfigurationError(`Context ${CONTEXT_KEYS.AUTH} must be iam or scram.`);
  const kafkaVersion = stringValue(read, CONTEXT_KEYS.KAFKA_VERSION);
  const scramSecretArn = stringValue(read, CONTEXT_KEYS.SCRAM_SECRET_ARN);
  const scramSecretKeyArn = stringValue(read, CONTEXT_KEYS.SCRAM_SECRET_KEY_ARN);
  return {
    mode: 'existing',
    clusterArn: required(read, CONTEXT_KEYS.CLUSTER_ARN),
    kind,
    bootstrapBrokers: required(read, CONTEXT_KEYS.BOOTSTRAP_BROKERS),
    vpcId: required(read, CONTEXT_KEYS.VPC_ID),
    subnetIds: requiredList(read, CONTEXT_KEYS.SUBNET_IDS),
    availabilityZones: requiredList(read, CONTEXT_KEYS.AVAILABILITY_ZONES),
    securityGroupId: required(read, CONTEXT_KEYS.SECURITY_GROUP_ID),
    auth,
    ...(kafkaVersion ? { kafkaVersion } : {}),
    ...(scramSecretArn ? { scramSecretArn } : {}),
    ...(scramSecretKeyArn ? { scramSecretKeyArn } : {}),
  };
}

function cacheConfig(read: ContextReader): CacheConfig {
  const backend = stringValue(read, CONTEXT_KEYS.CACHE) ?? 'elasticache';
  if (backend === 'elasticache') return { backend };
  if (backend === 'upstash') return { backend, secret: required(read, CONTEXT_KEYS.UPSTASH_SECRET) };
  throw new ConfigurationError(
    `Context ${CONTEXT_KEYS.CACHE} must be elasticache or upstash, got ${backend}.`,
  );
}

function stringValue(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigurationError(`Context ${key} must be a string.`);
  return value;
}

function required(read: ContextReader, key: string): string {
  const value = stringValue(read, key);
  if (value === undefined)
    throw new ConfigurationError(`Context ${key} is required with mskguard:cluster=existing.`);
  return value;
}

function booleanValue(read: ContextReader, key: string): boolean | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigurationError(`Context ${key} must be true or false.`);
}

/** A list from a JSON array, or from a comma-separated string (`-c key=a,b`). */
function listValue(read: ContextReader, key: string): string[] {
  const value = read(key);
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  if (typeof value === 'string') {
    if (value.trim().startsWith('[')) return listValue(() => parseJson(key, value), key);
    return value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
  }
  throw new ConfigurationError(`Context ${key} must be a list of strings (JSON array or comma-separated).`);
}

function requiredList(read: ContextReader, key: string): string[] {
  const list = listValue(read, key);
  if (list.length === 0)
    throw new ConfigurationError(`Context ${key} is required with mskguard:cluster=existing.`);
  return list;
}

/** Structured values (topics, consumers): JSON in cdk.json, or a JSON string from `-c`. */
function jsonValue<T>(read: ContextReader, key: string): T | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'string' ? parseJson(key, value) : value;
  if (!Array.isArray(parsed)) throw new ConfigurationError(`Context ${key} must be a JSON array.`);
  return parsed as T;
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`Context ${key} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function jsonObject<T>(read: ContextReader, key: string): T | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'string' ? parseJson(key, value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigurationError(`Context ${key} must be a JSON object (see docs/deploy.md).`);
  return parsed as T;
}
