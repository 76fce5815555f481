import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, type PolicyViolation, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { CheckpointTables } from '#cdk/constructs/checkpoint-tables.ts';
import { DedupCache } from '#cdk/constructs/dedup-cache.ts';
import {
  GuardedKafkaConsumer,
  type GuardedKafkaConsumerProps,
} from '#cdk/constructs/guarded-kafka-consumer.ts';
import {
  type ExistingClusterAttributes,
  importExistingCluster,
  type KafkaCluster,
} from '#cdk/kafka-cluster.ts';

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` synthesizes. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8'),
).context;

/** Fixture handlers (tiny, fast to bundle). */
export const FIXTURE_CONSUMER_ENTRY = fileURLToPath(
  new URL('../fixtures/cdk/consumer-handler.ts', import.meta.url),
);
export const FIXTURE_RESTORE_ENTRY = fileURLToPath(
  new URL('../fixtures/cdk/restore-handler.ts', import.meta.url),
);

/** Reads a JSON fixture of test/fixtures/cdk/. */
export function contextFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/cdk/${name}`, import.meta.url)), 'utf8'));
}

/** A CDK app with the project's feature flags. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
}

/** A fresh stack in a fresh app. */
export function testStack(id = 'Test'): Stack {
  return new Stack(testApp(), id);
}

/** Literal attributes of an imported cluster (MSK provisioned 3.6, IAM). */
export const EXISTING_CLUSTER: ExistingClusterAttributes = {
  clusterArn: 'arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0a1b2c3d-1111-2222-3333-444455556666-7',
  kind: 'msk-provisioned',
  kafkaVersion: '3.6.0',
  bootstrapBrokers: 'b-1.orders.example:9098,b-2.orders.example:9098',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  securityGroupId: 'sg-0123456789abcdef0',
  auth: 'iam',
};

/** The cluster ARN's topic/group ARN prefixes, as literal strings. */
export const TOPIC_ARN_PREFIX =
  'arn:aws:kafka:eu-west-1:111122223333:topic/orders/0a1b2c3d-1111-2222-3333-444455556666-7';
export const GROUP_ARN_PREFIX =
  'arn:aws:kafka:eu-west-1:111122223333:group/orders/0a1b2c3d-1111-2222-3333-444455556666-7';

/** Imports {@link EXISTING_CLUSTER} (with overrides) into a stack. */
export function existingCluster(
  stack: Stack,
  overrides: Partial<ExistingClusterAttributes> = {},
): KafkaCluster {
  return importExistingCluster(stack, { ...EXISTING_CLUSTER, ...overrides });
}

/** Tables, an ElastiCache-backed cache and an imported cluster: what a consumer needs. */
export function consumerDependencies(stack: Stack, backend: 'elasticache' | 'upstash' = 'elasticache') {
  const cluster = existingCluster(stack);
  const tables = new CheckpointTables(stack, 'Tables');
  const cache =
    backend === 'upstash'
      ? new DedupCache(stack, 'Cache', { backend: 'upstash', upstashSecret: 'mskguard/upstash' })
      : new DedupCache(stack, 'Cache', {
          backend: 'elasticache',
          vpc: cluster.vpc,
          subnets: cluster.subnets,
        });
  return { cluster, tables, cache };
}

/** cdk-nag AwsSolutions findings (errors and warnings) not acknowledged in the tree under `scope`. */
export function nagViolations(scope: IConstruct): PolicyViolation[] {
  return [...new AwsSolutionsChecks(scope).validateScope(scope).violations];
}

/** The violations as readable lines (for assertion messages). */
export function describeViolations(violations: readonly PolicyViolation[]): string[] {
  return violations.map(
    (v) => `${v.severity} ${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
}

/** Ingress rules of a template, standalone (AWS::EC2::SecurityGroupIngress) or inline in a security group. */
export function ingressRules(template: { toJSON(): Record<string, unknown> }): Record<string, unknown>[] {
  const resources = (template.toJSON().Resources ?? {}) as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  const rules: Record<string, unknown>[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::EC2::SecurityGroupIngress') rules.push({ ...resource.Properties });
    if (resource.Type === 'AWS::EC2::SecurityGroup') {
      for (const rule of (resource.Properties?.SecurityGroupIngress ?? []) as Record<string, unknown>[]) {
        rules.push({ ...rule, GroupId: { 'Fn::GetAtt': [logicalId, 'GroupId'] } });
      }
    }
  }
  return rules;
}

/** The fixtures' consumer (`orders-v1` on `orders`) in `stack`, with `props` on top. */
export function ordersConsumer(
  stack: Stack,
  props: Omit<GuardedKafkaConsumerProps, 'entry' | 'consumerGroupId' | 'topic'> &
    Partial<GuardedKafkaConsumerProps>,
): GuardedKafkaConsumer {
  return new GuardedKafkaConsumer(stack, 'Orders', {
    entry: FIXTURE_CONSUMER_ENTRY,
    consumerGroupId: 'orders-v1',
    topic: 'orders',
    ...props,
  });
}
