// Guarantee: supports G5 and G6 at the infrastructure level (bounded retries, partial batch responses,
// an on-failure destination instead of silent drops) and proves the consumer wiring of design §8.
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { GuardedKafkaConsumer } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { SecretInEnvironmentError } from '#cdk/function-defaults.ts';
import { FUNCTION_ENV } from '#cdk/function-env.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { type Overrides, synth } from './consumer-fixture.ts';
import { consumerDependencies, FIXTURE_CONSUMER_ENTRY, GROUP_ARN_PREFIX, testStack } from './helpers.ts';

describe('GuardedKafkaConsumer (overrides)', () => {
  it('uses the given consumer group id in the ESM, the grants and the environment', () => {
    // Act
    const { template } = synth({ consumerGroupId: 'orders-replay-2' });

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'orders-replay-2' },
    });
    expect(JSON.stringify(template.toJSON())).toContain(`${GROUP_ARN_PREFIX}/orders-replay-2`);
  });

  it('sets batch size and batching window', () => {
    const { template } = synth({ batchSize: 2000, maxBatchingWindow: Duration.seconds(10) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 2000,
      MaximumBatchingWindowInSeconds: 10,
    });
  });

  it('sets provisioned pollers and a poller group', () => {
    const { template } = synth({
      provisionedPollers: { minimum: 2, maximum: 10, pollerGroupName: 'shared' },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 10, PollerGroupName: 'shared' },
    });
  });

  it('sets retry attempts and the maximum record age', () => {
    const { template } = synth({ retryAttempts: 1, maxRecordAge: Duration.hours(1) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRetryAttempts: 1,
      MaximumRecordAgeInSeconds: 3600,
    });
  });

  it('sets the starting position', () => {
    const { template } = synth({ startingPosition: StartingPosition.LATEST });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { StartingPosition: 'LATEST' });
  });

  it('sends failures to an SNS topic when asked', () => {
    // Prepare
    const overrides = (stack: ReturnType<typeof testStack>) => ({
      kind: 'sns' as const,
      topic: new Topic(stack, 'Failures'),
    });
    const stack = testStack();
    const consumer = new GuardedKafkaConsumer(stack, 'Orders', {
      entry: FIXTURE_CONSUMER_ENTRY,
      consumerGroupId: 'orders-v1',
      topic: 'orders',
      ...consumerDependencies(stack),
      onFailure: overrides(stack),
    });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: { Ref: Match.stringLikeRegexp('^Failures') } } },
    });
    template.resourceCountIs('AWS::SQS::Queue', 0);
    expect(consumer.onFailureTopic).toBeDefined();
  });

  it('sends failures to an S3 bucket or to a given queue', () => {
    // Prepare
    const stack = testStack();
    const deps = consumerDependencies(stack);
    const bucket = new Bucket(stack, 'FailureBucket');
    const queue = new Queue(stack, 'SharedFailures', { enforceSSL: true });

    // Act
    new GuardedKafkaConsumer(stack, 'ToS3', {
      entry: FIXTURE_CONSUMER_ENTRY,
      consumerGroupId: 'a',
      topic: 'orders',
      ...deps,
      onFailure: { kind: 's3', bucket },
    });
    new GuardedKafkaConsumer(stack, 'ToQueue', {
      entry: FIXTURE_CONSUMER_ENTRY,
      consumerGroupId: 'b',
      topic: 'orders',
      ...deps,
      onFailure: { kind: 'sqs', queue },
    });
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'a' },
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailureBucket'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'b' },
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SharedFailures'), 'Arn'] } },
      },
    });
    template.resourceCountIs('AWS::SQS::Queue', 1);
  });

  it('stays out of the VPC with the Upstash backend and reads the secret by ARN', () => {
    // Act
    const { template } = synth({ backend: 'upstash' });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: Match.absent(),
      Environment: { Variables: Match.objectLike({ [FUNCTION_ENV.UPSTASH_SECRET_ARN]: Match.anyValue() }) },
    });
    expect(JSON.stringify(template.toJSON())).toContain('secretsmanager:GetSecretValue');
  });

  it('authenticates with SASL/SCRAM through the secret instead of kafka-cluster IAM actions', () => {
    // Prepare
    const stack = testStack();
    const deps = consumerDependencies(stack);
    const secret = Secret.fromSecretCompleteArn(
      stack,
      'Scram',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:AmazonMSK_orders-AbCdEf',
    );

    // Act
    new GuardedKafkaConsumer(stack, 'Orders', {
      entry: FIXTURE_CONSUMER_ENTRY,
      consumerGroupId: 'orders-v1',
      topic: 'orders',
      ...deps,
      cluster: { ...deps.cluster, auth: { mechanism: 'scram', secret } },
    });
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_512_AUTH', URI: secret.secretArn }],
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('kafka-cluster:');
  });

  it('sets timeout, memory and reserved concurrency', () => {
    const { template } = synth({
      timeout: Duration.minutes(5),
      memorySize: 2048,
      reservedConcurrentExecutions: 20,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      MemorySize: 2048,
      ReservedConcurrentExecutions: 20,
    });
  });

  it('accepts extra names and ARNs in the environment but rejects secret-looking names', () => {
    // Act
    const { template } = synth({ environment: { DOWNSTREAM_TABLE: 'orders', API_SECRET_ARN: 'arn:x' } });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DOWNSTREAM_TABLE: 'orders', API_SECRET_ARN: 'arn:x' }) },
    });
    expect(() => synth({ environment: { UPSTASH_TOKEN: 'abc' } })).toThrow(SecretInEnvironmentError);
    expect(() => synth({ environment: { DB_PASSWORD: 'abc' } })).toThrow(/look like secrets/);
  });

  it('spreads the dedup keys over the given number of cache shards (MSKGUARD_CACHE_SHARDS)', () => {
    // Act
    const sharded = synth({ cacheShards: 6 }).template;
    const plain = synth({}).template;

    // Assess: set only when asked, so an existing group's keys do not move.
    sharded.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [FUNCTION_ENV.CACHE_SHARDS]: '6' }) },
    });
    expect(JSON.stringify(plain.toJSON())).not.toContain(FUNCTION_ENV.CACHE_SHARDS);
  });

  it.each([
    [{ cacheShards: 0 }, /cacheShards/],
    [{ cacheShards: 2.5 }, /cacheShards/],
    [{ retryAttempts: -1 }, /retryAttempts/],
    [{ consumerGroupId: 'orders#v1' }, /Invalid consumerGroupId/],
    [{ topic: 'bad topic' }, /invalid topic/],
    [{ timeout: Duration.minutes(15) }, /14-minute limit/],
    [{ batchSize: 10_001 }, /batchSize/],
    [{ provisionedPollers: { minimum: 5, maximum: 2 } }, /provisionedPollers.maximum/],
  ] as const)('rejects %o at synth time', (overrides, message) => {
    expect(() => synth(overrides as Overrides)).toThrow(ConfigurationError);
    expect(() => synth(overrides as Overrides)).toThrow(message);
  });
});
