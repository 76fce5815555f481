/**
 * mskguard/cdk: constructs and a stack that provision a guarded Kafka pipeline on AWS Lambda —
 * topics, the dedup cache, the checkpoint/quarantine/audit tables, the consumers with their event
 * source mappings, the restore function, and the alarms that page on-call.
 *
 * @example
 * ```ts
 * import { CheckpointTables, DedupCache, GuardedKafkaConsumer, importExistingCluster } from 'mskguard/cdk';
 *
 * const cluster = importExistingCluster(this, { clusterArn, kind: 'msk-provisioned', kafkaVersion: '3.9.x',
 *   bootstrapBrokers, vpcId, subnetIds, availabilityZones, securityGroupId, auth: 'iam' });
 * const tables = new CheckpointTables(this, 'Tables');
 * const cache = new DedupCache(this, 'Cache', { backend: 'upstash', upstashSecret: 'prod/upstash' });
 * new GuardedKafkaConsumer(this, 'Orders', { entry: 'src/orders.ts', consumerGroupId: 'orders-v1', topic: 'orders', cluster, tables, cache });
 * ```
 */
// The declarations use Node's types (Buffer, NodeJS.ProcessEnv): the reference makes a project whose
// tsconfig lists no "types" load @types/node too. preserve: TypeScript 5.5+ drops it from the .d.ts otherwise.
/// <reference types="node" preserve="true" />

export { acknowledgeCheckov } from './checkov.ts';
export type { ChatbotChannels, SlackChannel, TeamsChannel } from './constructs/chatbot.ts';
export {
  CheckpointTables,
  type CheckpointTablesProps,
} from './constructs/checkpoint-tables.ts';
export { DedupCache, DedupCacheBackend, type DedupCacheProps } from './constructs/dedup-cache.ts';
export { DemoMskCluster, type DemoMskClusterProps } from './constructs/demo-msk-cluster.ts';
export {
  GuardedKafkaConsumer,
  type GuardedKafkaConsumerProps,
  type OnFailureDestination,
  type ProvisionedPollers,
} from './constructs/guarded-kafka-consumer.ts';
export {
  KafkaTopics,
  type KafkaTopicsProps,
  TopicManagement,
  type TopicSpec,
} from './constructs/kafka-topics.ts';
export { OnCall, type OnCallProps } from './constructs/on-call.ts';
export { PipelineDashboard, type PipelineDashboardProps } from './constructs/pipeline-dashboard.ts';
export { RestoreFunction, type RestoreFunctionProps } from './constructs/restore-function.ts';
export { Watchdog, type WatchdogProps } from './constructs/watchdog.ts';
export type { AlarmKind, ConsumerAlarmThresholds } from './consumer-alarms.ts';
export {
  defaultBundling,
  LAMBDA_RUNTIME,
  SecretInEnvironmentError,
} from './function-defaults.ts';
export {
  type ExistingClusterAttributes,
  importExistingCluster,
  type KafkaAuth,
  type KafkaCluster,
  KafkaClusterKind,
} from './kafka-cluster.ts';
export { type MskGuardMetricName, type MskGuardMetricOptions, mskGuardMetric } from './metrics.ts';
export {
  type CacheConfig,
  type ClusterConfig,
  type ConsumerConfig,
  MskGuardStack,
  type MskGuardStackProps,
} from './stacks/mskguard-stack.ts';
export type { WatchdogAlarmThresholds } from './watchdog-alarms.ts';
