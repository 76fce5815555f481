// Guarantee: supports the restore flow of design §7 (and G3: checkpoints stay read-only to restore):
// the restore function may touch only the listed ESMs, groups, checkpoints and audit items.
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GuardedKafkaConsumer } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { RestoreFunction, restoreScratchGroup } from '#cdk/constructs/restore-function.ts';
import { FUNCTION_ENV } from '#cdk/function-env.ts';
import { ConfigurationError } from '#shared/errors.ts';
import {
  consumerDependencies,
  describeViolations,
  FIXTURE_CONSUMER_ENTRY,
  FIXTURE_RESTORE_ENTRY,
  GROUP_ARN_PREFIX,
  ingressRules,
  nagViolations,
  TOPIC_ARN_PREFIX,
  testStack,
} from './helpers.ts';

describe('RestoreFunction', () => {
  let template: Template;
  let restore: RestoreFunction;
  let statements: Record<string, unknown>[];

  beforeAll(() => {
    const stack = testStack();
    const deps = consumerDependencies(stack);
    const consumers = ['orders-v1', 'invoices-v1'].map(
      (group, i) =>
        new GuardedKafkaConsumer(stack, `Consumer${i}`, {
          entry: FIXTURE_CONSUMER_ENTRY,
          consumerGroupId: group,
          topic: group.replace('-v1', ''),
          ...deps,
        }),
    );
    restore = new RestoreFunction(stack, 'Restore', {
      entry: FIXTURE_RESTORE_ENTRY,
      cluster: deps.cluster,
      tables: deps.tables,
      consumers,
    });
    template = Template.fromStack(stack);
    const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('Restore'),
    )!;
    statements = (policy[1] as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } })
      .Properties.PolicyDocument.Statement;
  });

  it('runs in the VPC, one at a time, with a timeout its waits fit in (disabled 300 s + Empty 180 s + enabled 300 s)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^mskguard restore'),
      Timeout: 900,
      ReservedConcurrentExecutions: 1,
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      VpcConfig: Match.objectLike({ SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'] }),
    });
  });

  it.each([
    [Duration.seconds(99), false],
    [Duration.seconds(100), true],
  ])('refuses at synth a timeout too short to restore an enabled mapping (%s)', (timeout, accepted) => {
    // Prepare
    const stack = testStack();
    const deps = consumerDependencies(stack);
    const consumer = new GuardedKafkaConsumer(stack, 'Consumer', {
      entry: FIXTURE_CONSUMER_ENTRY,
      consumerGroupId: 'orders-v1',
      topic: 'orders',
      ...deps,
    });
    const build = () =>
      new RestoreFunction(stack, 'Short', {
        entry: FIXTURE_RESTORE_ENTRY,
        cluster: deps.cluster,
        tables: deps.tables,
        consumers: [consumer],
        timeout,
      });

    // Act + Assess
    if (accepted) expect(build).not.toThrow();
    else expect(build).toThrow(/timeout 1 minute 39 seconds is too short.*at least Duration\.seconds\(100\)/);
  });

  it('may get and update only the event source mappings of its consumers', () => {
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        Resource: [
          expect.objectContaining({ 'Fn::Join': expect.anything() }),
          expect.objectContaining({ 'Fn::Join': expect.anything() }),
        ],
      }),
    );
    expect(JSON.stringify(statements)).toMatch(/event-source-mapping:/);
  });

  it('may alter only its groups (and their scratch groups) and describe only their topics', () => {
    // Act
    const bySid = (sid: string) => statements.find((st) => st.Sid === sid)!;
    const groups = bySid('KafkaGroupOffsets');
    const topics = bySid('KafkaTopicOffsets');

    // Assess
    expect(groups.Action).toEqual(['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup']);
    expect([...(groups.Resource as string[])].sort()).toEqual(
      ['orders-v1', restoreScratchGroup('orders-v1'), 'invoices-v1', restoreScratchGroup('invoices-v1')]
        .map((g) => `${GROUP_ARN_PREFIX}/${g}`)
        .sort(),
    );
    expect(topics.Action).toEqual(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData']);
    expect([...(topics.Resource as string[])].sort()).toEqual(
      ['orders', 'invoices', '__consumer_offsets'].map((t) => `${TOPIC_ARN_PREFIX}/${t}`).sort(),
    );
  });

  it('reads checkpoints, bumps only the group epoch item and writes audit items of its groups', () => {
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
          Condition: {
            'ForAllValues:StringLike': {
              'dynamodb:LeadingKeys': ['orders-v1#*', 'orders-v1', 'invoices-v1#*', 'invoices-v1'],
            },
          },
        }),
        expect.objectContaining({
          Action: 'dynamodb:UpdateItem',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['orders-v1', 'invoices-v1'] } },
        }),
        expect.objectContaining({
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TablesAudit/), 'Arn'] },
        }),
      ]),
    );
    const checkpointWrites = statements.filter(
      (s) =>
        JSON.stringify(s.Action).includes('PutItem') && JSON.stringify(s.Resource).includes('Checkpoints'),
    );
    expect(checkpointWrites).toEqual([]);
  });

  it('gets brokers, tables and restore targets in its environment', () => {
    // Act
    const env = (
      Object.values(
        template.findResources('AWS::Lambda::Function', { Properties: { ReservedConcurrentExecutions: 1 } }),
      )[0] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;

    // Assess
    expect(env[FUNCTION_ENV.KAFKA_BROKERS]).toBe('b-1.orders.example:9098,b-2.orders.example:9098');
    expect(env[FUNCTION_ENV.KAFKA_AUTH]).toBe('iam');
    expect(JSON.stringify(env[FUNCTION_ENV.RESTORE_TARGETS])).toContain('consumerGroupId');
    expect(restore.targets.map((t) => t.consumerGroupId)).toEqual(['orders-v1', 'invoices-v1']);
  });

  it('is admitted to the brokers on the IAM listener port', () => {
    expect(ingressRules(template)).toContainEqual(
      expect.objectContaining({ GroupId: 'sg-0123456789abcdef0', FromPort: 9098, ToPort: 9098 }),
    );
  });

  it('passes cdk-nag', () => {
    expect(describeViolations(nagViolations(restore))).toEqual([]);
  });

  it('needs at least one consumer', () => {
    const stack = testStack();
    const deps = consumerDependencies(stack);
    expect(
      () =>
        new RestoreFunction(stack, 'R', {
          entry: FIXTURE_RESTORE_ENTRY,
          cluster: deps.cluster,
          tables: deps.tables,
          consumers: [],
        }),
    ).toThrow(ConfigurationError);
  });
});
