// Guarantee: G6 for topic provisioning (bad resource properties get a typed, actionable error, never a
// half-applied change) and the "never delete unless allowed" rule of design §8.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createTopicsProvider,
  KafkaAdminError,
  kafkaAuthFor,
  type TopicAdmin,
  TopicChangeNotSupportedError,
} from '#functions/kafka-topics-provider.ts';
import { parseTopicProperties, TopicSpecError } from '#functions/kafka-topics-spec.ts';
import { ConfigurationError } from '#shared/errors.ts';

/** An in-memory admin recording its calls; topics map name → {partitions, replicas, configs}. */
function fakeAdmin(
  initial: Record<string, { partitions: number; replicas: number; configs?: Record<string, string> }> = {},
) {
  const topics = new Map(Object.entries(initial).map(([k, v]) => [k, { configs: {}, ...v }]));
  const calls: string[] = [];
  const admin: TopicAdmin = {
    listTopics: async () => [...topics.keys()],
    fetchTopicMetadata: async (o) => ({
      topics: (o?.topics ?? []).map((name) => ({
        name,
        partitions: Array.from({ length: topics.get(name)!.partitions }, (_, i) => ({
          partitionId: i,
          partitionErrorCode: 0,
          leader: 1,
          replicas: Array.from({ length: topics.get(name)!.replicas }, (_, r) => r + 1),
          isr: [],
        })),
      })),
    }),
    createTopics: async (o) => {
      for (const t of o.topics) {
        calls.push(`create ${t.topic} ${t.numPartitions} ${t.replicationFactor}`);
        topics.set(t.topic, {
          partitions: t.numPartitions!,
          replicas: t.replicationFactor!,
          configs: Object.fromEntries((t.configEntries ?? []).map((e) => [e.name, e.value])),
        });
      }
      return true;
    },
    createPartitions: async (o) => {
      for (const p of o.topicPartitions) {
        calls.push(`partitions ${p.topic} ${p.count}`);
        topics.get(p.topic)!.partitions = p.count;
      }
      return true;
    },
    alterConfigs: async (o) => {
      for (const r of o.resources)
        calls.push(`configs ${r.name} ${r.configEntries.map((e) => `${e.name}=${e.value}`).join(',')}`);
    },
    deleteTopics: async (o) => {
      for (const t of o.topics) {
        calls.push(`delete ${t}`);
        topics.delete(t);
      }
    },
    disconnect: async () => {
      calls.push('disconnect');
    },
  };
  return { admin, calls, topics };
}

/** The cluster the stack pinned in the provider's environment (BASE names the same one). */
const PINNED = { MSKGUARD_KAFKA_BROKERS: 'b-1:9098,b-2:9098', MSKGUARD_KAFKA_AUTH: 'iam' };

const BASE = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
  BootstrapBrokers: 'b-1:9098,b-2:9098',
  AuthMechanism: 'iam',
  TopicName: 'orders',
  Partitions: '6',
  ReplicationFactor: '3',
  Configs: { 'retention.ms': '604800000' },
  AllowDeletion: 'false',
};

function event(
  type: 'Create' | 'Update' | 'Delete',
  props: Record<string, unknown>,
  old?: Record<string, unknown>,
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: BASE.ServiceToken,
    ResponseURL: 'https://example.invalid/response',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'Topic',
    ResourceType: 'Custom::MskGuardKafkaTopic',
    ResourceProperties: { ...BASE, ...props } as CloudFormationCustomResourceEvent['ResourceProperties'],
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Update') {
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: 'orders',
      OldResourceProperties: { ...BASE, ...old },
    };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'orders' };
}

describe('kafka-topics-provider handler', () => {
  it('creates a missing topic with its partitions, replication and configs', async () => {
    // Prepare
    const { admin, calls } = fakeAdmin();
    const handler = createTopicsProvider({ connect: async () => admin, env: PINNED });

    // Act
    const response = await handler(event('Create', {}));

    // Assess
    expect(response).toEqual({
      PhysicalResourceId: 'orders',
      Data: { TopicName: 'orders', Partitions: 6, Action: 'created' },
    });
    expect(calls).toEqual(['create orders 6 3', 'disconnect']);
  });

  it('adopts an existing topic on create: grows partitions and applies declared configs', async () => {
    // Prepare
    const { admin, calls } = fakeAdmin({ orders: { partitions: 3, replicas: 3 } });
    const handler = createTopicsProvider({ connect: async () => admin, env: PINNED });

    // Act
    const response = await handler(event('Create', {}));

    // Assess
    expect(response.Data.Action).toBe('updated (partitions 3->6, configs)');
    expect(calls).toEqual(['partitions orders 6', 'configs orders retention.ms=604800000', 'disconnect']);
  });

  it('grows partitions on update and leaves unchanged configs alone', async () => {
    // Prepare
    const { admin, calls } = fakeAdmin({ orders: { partitions: 6, replicas: 3 } });
    const handler = createTopicsProvider({ connect: async () => admin, env: PINNED });

    // Act
    await handler(event('Update', { Partitions: '12' }));

    // Assess
    expect(calls).toEqual(['partitions orders 12', 'disconnect']);
  });

  it('rewrites configs on update when they changed', async () => {
    // Prepare
    const { admin, calls } = fakeAdmin({ orders: { partitions: 6, replicas: 3 } });
    const handler = createTopicsProvider({ connect: async () => admin, env: PINNED });

    // Act
    const response = await handler(event('Update', { Configs: { 'retention.ms': '86400000' } }));

    // Assess
    expect(response.Data.Action).toBe('updated (configs)');
    expect(calls).toEqual(['configs orders retention.ms=86400000', 'disconnect']);
  });

  it('refuses to shrink partitions or change the replication factor, and still disconnects', async () => {
    // Prepare
    const { admin, calls } = fakeAdmin({ orders: { partitions: 12, replicas: 3 } });
    const handler = createTopicsProvider({ connect: async () => admin, env: PINNED });

    // Act
    const shrink = handler(event('Update', { Partitions: '6' }));
    const replicate = handler(event('Update', { Partitions: '12', ReplicationFactor: '2' }));

    // Assess
    await expect(shrink).rejects.toThrow(TopicChangeNotSupportedError);
    await expect(shrink).rejects.toThrow(/cannot remove partitions/);
    await expect(replicate).rejects.toThrow(/replication factor 3/);
    expect(calls).toEqual(['disconnect', 'disconnect']);
  });

  it('retains the topic on delete unless deletion is allowed', async () => {
    // Prepare
    const { admin, calls, topics } = fakeAdmin({ orders: { partitions: 6, replicas: 3 } });
    const handler = createTopicsProvider({ connect: async () => admin, env: PINNED });

    // Act
    const kept = await handler(event('Delete', {}));
    const deleted = await handler(event('Delete', { AllowDeletion: 'true' }));
    const absent = await handler(event('Delete', { AllowDeletion: 'true' }));

    // Assess
    expect(kept.Data.Action).toBe('retained (AllowDeletion is false)');
    expect(deleted.Data.Action).toBe('deleted');
    expect(absent.Data.Action).toBe('already absent');
    expect(calls.filter((c) => c.startsWith('delete'))).toEqual(['delete orders']);
    expect(topics.size).toBe(0);
  });

  it('wraps Kafka errors with their retriable flag', async () => {
    // Prepare
    const { admin } = fakeAdmin();
    const failing: TopicAdmin = {
      ...admin,
      createTopics: async () => {
        throw Object.assign(new Error('Broker not available'), { retriable: true });
      },
    };
    const handler = createTopicsProvider({ connect: async () => failing, env: PINNED });

    // Act
    const result = handler(event('Create', {}));

    // Assess
    await expect(result).rejects.toBeInstanceOf(KafkaAdminError);
    await expect(result).rejects.toMatchObject({
      retriable: true,
      message: expect.stringMatching(/create topic orders/),
    });
  });
});

describe('parseTopicProperties', () => {
  it('normalises the strings CloudFormation sends', () => {
    // Act
    const parsed = parseTopicProperties({ ...BASE, AllowDeletion: 'true' });

    // Assess
    expect(parsed).toEqual({
      name: 'orders',
      partitions: 6,
      replicationFactor: 3,
      configs: { 'retention.ms': '604800000' },
      allowDeletion: true,
    });
  });

  it.each([
    [{ TopicName: 'bad/name' }, /Invalid topic/],
    [{ Partitions: '0' }, /Invalid partitions/],
    [{ ReplicationFactor: 'three' }, /Invalid replication factor/],
    [{ Configs: ['x'] }, /Configs must be a map/],
    [{ Configs: { 'Retention MS': '1' } }, /invalid config name/],
  ])('rejects %o with a TopicSpecError', (override, message) => {
    expect(() => parseTopicProperties({ ...BASE, ...override })).toThrow(TopicSpecError);
    expect(() => parseTopicProperties({ ...BASE, ...override })).toThrow(message);
  });
});

describe('kafkaAuthFor', () => {
  const secrets = mockClient(SecretsManagerClient);
  const SCRAM = { brokers: ['b-1:9096'], auth: 'scram', scramSecretArn: 'arn:s' } as const;
  afterEach(() => {
    secrets.reset();
    vi.unstubAllEnvs();
  });

  it('scram reads the credentials of the secret', async () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"orders","password":"pw"}' });

    // Act
    const config = await kafkaAuthFor(SCRAM);

    // Assess
    expect(config).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'orders', password: 'pw' },
    });
  });

  it.each([
    'Hunter2Pw!',
    'null',
    '{"username":"orders"}',
  ])('a scram secret holding %s is a ConfigurationError that never quotes its value', async (value) => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    secrets.on(GetSecretValueCommand).resolves({ SecretString: value });

    // Act
    const error = await kafkaAuthFor(SCRAM).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/^Secret arn:s must hold the JSON \{"username"/);
    expect(`${(error as Error).message}${(error as Error).stack}`).not.toMatch(
      /Hunter2|orders|not valid JSON/,
    );
  });
});
