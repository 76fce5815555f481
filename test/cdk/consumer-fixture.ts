/** Builders shared by the GuardedKafkaConsumer test files. */
import { Template } from 'aws-cdk-lib/assertions';
import {
  GuardedKafkaConsumer,
  type GuardedKafkaConsumerProps,
} from '#cdk/constructs/guarded-kafka-consumer.ts';
import { consumerDependencies, FIXTURE_CONSUMER_ENTRY, testStack } from './helpers.ts';

export type Overrides = Partial<GuardedKafkaConsumerProps> & { backend?: 'elasticache' | 'upstash' };

export function synth(overrides: Overrides = {}) {
  const stack = testStack();
  const { backend, ...props } = overrides;
  const deps = consumerDependencies(stack, backend);
  const consumer = new GuardedKafkaConsumer(stack, 'Orders', {
    entry: FIXTURE_CONSUMER_ENTRY,
    consumerGroupId: 'orders-v1',
    topic: 'orders',
    ...deps,
    ...props,
  });
  return { stack, consumer, template: Template.fromStack(stack) };
}

export function policyStatements(template: Template): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
        .PolicyDocument.Statement,
  );
}
