// Guarantee: none of G1–G6 directly; proves the app's context contract (docs/deploy.md) and its typed errors (design §8).
import { describe, expect, it } from 'vitest';
import { appConfigFromContext, CONTEXT_KEYS, DEMO_CONSUMERS, DEMO_TOPICS } from '#cdk/config.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { contextFixture } from './helpers.ts';

const reader = (context: Record<string, unknown>) => (key: string) => context[key];

describe('appConfigFromContext', () => {
  it('builds the self-contained demo when no context is given', () => {
    // Act
    const config = appConfigFromContext(reader({}));

    // Assess
    expect(config.stackName).toBe('MskGuard');
    expect(config.nag).toBe(true);
    expect(config.props.cluster.mode).toBe('demo');
    expect(config.props.cache).toEqual({ backend: 'elasticache' });
    expect(config.props.topics).toEqual(DEMO_TOPICS);
    expect(config.props.consumers).toEqual(DEMO_CONSUMERS);
  });

  it('reads an existing cluster from `-c` strings (comma lists and JSON strings)', () => {
    // Prepare
    const context = contextFixture('existing-scram-upstash.context.json');

    // Act
    const config = appConfigFromContext(reader(context));

    // Assess
    expect(config.props.cluster).toMatchObject({
      mode: 'existing',
      auth: 'scram',
      kafkaVersion: '3.5.1',
      subnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    });
    expect(config.props.cache).toEqual({ backend: 'upstash', secret: 'mskguard/upstash' });
    expect(config.props.consumers[0]).toMatchObject({ consumerGroupId: 'payments-v1', batchSize: 200 });
    expect(config.props.alarmEmails).toEqual(['oncall@example.com']);
  });

  it('reads JSON values from cdk.json-style context', () => {
    // Prepare
    const context = contextFixture('existing-serverless-iam.context.json');

    // Act
    const config = appConfigFromContext(reader(context));

    // Assess
    expect(config.props.cluster).toMatchObject({ kind: 'msk-serverless', auth: 'iam' });
    expect(config.props.topics).toEqual([{ name: 'events', partitions: 3, replicationFactor: 3 }]);
    expect(config.props.tableKmsKeyArn).toMatch(/^arn:aws:kms:/);
  });

  it('names the missing key for an existing cluster', () => {
    // Prepare
    const context = {
      [CONTEXT_KEYS.CLUSTER]: 'existing',
      [CONTEXT_KEYS.CONSUMERS]: '[{"name":"A","topic":"t","consumerGroupId":"g"}]',
    };

    // Act
    const act = () => appConfigFromContext(reader(context));

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(/mskguard:clusterArn is required/);
  });

  it('requires consumers with an existing cluster', () => {
    // Prepare
    const { [CONTEXT_KEYS.CONSUMERS]: _omitted, ...context } = contextFixture(
      'existing-scram-upstash.context.json',
    );

    // Act
    const act = () => appConfigFromContext(reader(context));

    // Assess
    expect(act).toThrow(/mskguard:consumers is required/);
  });

  it.each([
    [CONTEXT_KEYS.CLUSTER, 'kubernetes', /demo or existing/],
    [CONTEXT_KEYS.CACHE, 'memcached', /elasticache or upstash/],
    [CONTEXT_KEYS.NAG, 'maybe', /true or false/],
    [CONTEXT_KEYS.TOPICS, '[not json', /not valid JSON/],
    [CONTEXT_KEYS.CACHE, 'upstash', /mskguard:upstashSecret is required/],
  ])('rejects %s=%s', (key, value, message) => {
    expect(() => appConfigFromContext(reader({ [key]: value }))).toThrow(message);
  });

  it('turns cdk-nag off only when asked', () => {
    expect(appConfigFromContext(reader({ [CONTEXT_KEYS.NAG]: 'false' })).nag).toBe(false);
  });

  it('reads the on-call topic, the Chatbot channels and the log key', () => {
    // Act
    const config = appConfigFromContext(
      reader({
        [CONTEXT_KEYS.ALARM_TOPIC_ARN]: 'arn:aws:sns:eu-west-1:111122223333:pager',
        [CONTEXT_KEYS.ALARM_CHATBOT]: '{"slack":[{"name":"oncall","workspaceId":"T1","channelId":"C1"}]}',
        [CONTEXT_KEYS.LOG_KMS_KEY_ARN]: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
      }),
    );

    // Assess
    expect(config.props).toMatchObject({
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:pager',
      alarmChatbot: { slack: [{ name: 'oncall', workspaceId: 'T1', channelId: 'C1' }] },
      logKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
    });
  });
});
