// Guarantee: none of G1–G6 directly; proves design §8 end to end: the app's default (demo) and existing-
// cluster configurations synthesize offline, wire every construct, and pass cdk-nag AwsSolutions.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { appConfigFromContext } from '#cdk/config.ts';
import { MskGuardStack } from '#cdk/stacks/mskguard-stack.ts';
import {
  contextFixture,
  describeViolations,
  FIXTURE_CONSUMER_ENTRY,
  FIXTURE_RESTORE_ENTRY,
  nagViolations,
  testApp,
} from './helpers.ts';

/** The stack the app would build for this context, with fixture handlers instead of functions/*.ts. */
function stackFor(context: Record<string, unknown>) {
  const config = appConfigFromContext((key) => context[key]);
  const stack = new MskGuardStack(testApp(), config.stackName, {
    ...config.props,
    consumers: config.props.consumers.map((c) => ({ ...c, entry: FIXTURE_CONSUMER_ENTRY })),
    restoreEntry: FIXTURE_RESTORE_ENTRY,
  });
  return { stack, template: Template.fromStack(stack) };
}

function countByType(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Object.values(template.toJSON().Resources as Record<string, { Type: string }>)) {
    counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  }
  return counts;
}

describe('MskGuardStack (demo, no context)', () => {
  let stack: MskGuardStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = stackFor({}));
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged error or warning', () => {
    expect(describeViolations(nagViolations(stack))).toEqual([]);
  });

  it('creates an MSK provisioned cluster with IAM auth, TLS only and broker logs', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '3.9.x',
      NumberOfBrokerNodes: 2,
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.t3.small' }),
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: Match.objectLike({ Enabled: true }) } },
    });
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
  });

  it('manages the demo topic with AWS::MSK::Topic and starts the ESM only after it exists', () => {
    // Act
    const topicId = template.getResourceId('AWS::MSK::Topic', { Properties: { TopicName: 'orders' } });
    const esm = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0] as {
      DependsOn?: string[];
    };

    // Assess
    expect(esm.DependsOn).toContain(topicId);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'mskguard-orders' },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DemoCluster'), 'Arn'] },
    });
  });

  it('puts the consumer, the restore function, the watchdog and the cache in the demo VPC, with endpoints instead of NAT', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 4);
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { Engine: 'valkey' });
    expect(
      Object.keys(
        template.findResources('AWS::Lambda::Function', { Properties: { VpcConfig: Match.anyValue() } }),
      ),
    ).toHaveLength(3);
  });

  it('reserves the consumer as many concurrent executions as its topic has partitions', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^mskguard guarded consumer'),
      ReservedConcurrentExecutions: 6,
    });
  });

  it('exports the names and ids operators need', () => {
    for (const output of [
      'CheckpointTableName',
      'AuditTableArn',
      'RestoreFunctionName',
      'OnCallTopicArn',
      'WatchdogFunctionName',
      'Consumer0EventSourceMappingId',
    ]) {
      template.hasOutput(output, {});
    }
  });

  it('creates the expected resources', () => {
    expect(countByType(template)).toMatchObject({
      'AWS::MSK::Cluster': 1,
      'AWS::MSK::Topic': 1,
      'AWS::DynamoDB::Table': 3,
      'AWS::ElastiCache::ServerlessCache': 1,
      'AWS::Lambda::EventSourceMapping': 1,
      // 11 of the consumer (onFailureDropped included), 3 of the watchdog, 1 of the restore function.
      'AWS::CloudWatch::Alarm': 15,
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::Events::Rule': 1,
      'AWS::KMS::Key': 1,
      'AWS::SNS::Topic': 1,
      'AWS::SQS::Queue': 1,
    });
  });
});

describe('MskGuardStack (existing clusters)', () => {
  it('provisioned 3.5 + SCRAM + Upstash: custom-resource topics, no VPC, consumer outside the VPC, nag clean', () => {
    // Act
    const { stack, template } = stackFor(contextFixture('existing-scram-upstash.context.json'));

    // Assess
    expect(describeViolations(nagViolations(stack))).toEqual([]);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::MSK::Cluster', 0);
    template.hasResourceProperties('Custom::MskGuardKafkaTopic', {
      TopicName: 'payments',
      AuthMechanism: 'scram',
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'payments-v1' },
      BatchSize: 200,
      MaximumRetryAttempts: 5,
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 6 },
      SourceAccessConfigurations: [
        { Type: 'SASL_SCRAM_512_AUTH', URI: Match.stringLikeRegexp('AmazonMSK_payments') },
      ],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https' });
  });

  it('serverless + IAM + ElastiCache + customer key: custom-resource topics and KMS tables, nag clean', () => {
    // Act
    const { stack, template } = stackFor(contextFixture('existing-serverless-iam.context.json'));

    // Assess
    expect(describeViolations(nagViolations(stack))).toEqual([]);
    template.hasResourceProperties('Custom::MskGuardKafkaTopic', {
      TopicName: 'events',
      AuthMechanism: 'iam',
    });
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      SSESpecification: Match.objectLike({
        SSEType: 'KMS',
        KMSMasterKeyId: Match.stringLikeRegexp('^arn:aws:kms:'),
      }),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { StartingPosition: 'LATEST' });
  });
});
