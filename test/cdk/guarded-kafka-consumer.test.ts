import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GuardedKafkaConsumer } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { FUNCTION_ENV } from '#cdk/function-env.ts';
import { policyStatements, synth } from './consumer-fixture.ts';
import { describeViolations, GROUP_ARN_PREFIX, nagViolations, TOPIC_ARN_PREFIX } from './helpers.ts';

describe('GuardedKafkaConsumer (defaults)', () => {
  let template: Template;
  let consumer: GuardedKafkaConsumer;

  beforeAll(() => {
    ({ template, consumer } = synth());
  });

  it('bundles an ARM64 nodejs24.x function with source maps enabled and JSON logs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 60,
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'mskguard',
          POWERTOOLS_METRICS_NAMESPACE: 'MskGuard',
          [FUNCTION_ENV.CONSUMER_GROUP]: 'orders-v1',
          [FUNCTION_ENV.TOPIC]: 'orders',
          [FUNCTION_ENV.CACHE_BACKEND]: 'elasticache',
          [FUNCTION_ENV.CHECKPOINT_TABLE]: { Ref: Match.stringLikeRegexp('^TablesCheckpoints') },
          [FUNCTION_ENV.QUARANTINE_TABLE]: { Ref: Match.stringLikeRegexp('^TablesQuarantine') },
        }),
      },
    });
  });

  it('creates the ESM with the consumer group, provisioned pollers, partial batch responses and bounded retries', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn:
        'arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0a1b2c3d-1111-2222-3333-444455556666-7',
      Topics: ['orders'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'orders-v1' },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersOnFailureQueue'), 'Arn'] },
        },
      },
    });
  });

  it('sends exhausted records to a KMS-encrypted (AWS-managed SQS key), SSL-only SQS queue kept 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: 'alias/aws/sqs',
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    expect(consumer.onFailureQueue).toBeDefined();
  });

  it('scopes kafka-cluster permissions to its cluster, topic and group', () => {
    // Act
    const statements = policyStatements(template);

    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
          Resource: `${TOPIC_ARN_PREFIX}/orders`,
        }),
        expect.objectContaining({
          Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
          Resource: `${GROUP_ARN_PREFIX}/orders-v1`,
        }),
        expect.objectContaining({
          Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
          Resource:
            'arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0a1b2c3d-1111-2222-3333-444455556666-7',
        }),
      ]),
    );
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => a.endsWith(':*') || a === '*')).toEqual([]);
  });

  it('limits DynamoDB access to its own partition keys and the needed actions', () => {
    // Act
    const statements = policyStatements(template).filter((s) =>
      JSON.stringify(s.Action).includes('dynamodb:'),
    );

    // Assess
    expect(statements).toEqual([
      expect.objectContaining({
        Action: [
          'dynamodb:BatchGetItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        Condition: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': ['orders-v1#orders#*', 'orders-v1#OWNER#*', 'orders-v1'],
          },
        },
      }),
      expect.objectContaining({
        Action: 'dynamodb:PutItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['orders-v1#orders#*'] } },
      }),
    ]);
  });

  it('runs in the cluster VPC to reach the ElastiCache backend', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
        SecurityGroupIds: Match.anyValue(),
      },
    });
    expect(consumer.securityGroup).toBeDefined();
  });

  it('passes cdk-nag with every acknowledgement explained', () => {
    expect(describeViolations(nagViolations(consumer))).toEqual([]);
  });
});
