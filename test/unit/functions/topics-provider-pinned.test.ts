// Guarantee: G6 for topic provisioning, and the secrets rule of design §8: the topics provider talks
// to the one cluster the stack pinned in its environment. A resource naming other brokers, another
// auth mode or another SCRAM secret is refused before any connection (no SCRAM login or signed MSK
// token for a host of the requester's choosing), and the refusal quotes none of the values.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createTopicsProvider, type TopicAdmin } from '#functions/kafka-topics-provider.ts';
import type { BrokerConnection } from '#functions/kafka-topics-spec.ts';
import { ConfigurationError } from '#shared/errors.ts';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:AmazonMSK_orders-AbCdEf';
const PINNED = {
  MSKGUARD_KAFKA_BROKERS: 'b-1.orders:9096,b-2.orders:9096',
  MSKGUARD_KAFKA_AUTH: 'scram',
  MSKGUARD_KAFKA_SECRET_ARN: SECRET,
};
const OWN = {
  BootstrapBrokers: PINNED.MSKGUARD_KAFKA_BROKERS,
  AuthMechanism: 'scram',
  ScramSecretArn: SECRET,
};
const TOPIC = { TopicName: 'orders', Partitions: '6', ReplicationFactor: '3', AllowDeletion: 'true' };

function event(
  type: 'Create' | 'Update' | 'Delete',
  props: Record<string, unknown>,
  old: Record<string, unknown> = {},
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'Topic',
    ResourceType: 'Custom::MskGuardKafkaTopic',
    ResourceProperties: { ServiceToken: 'token', ...TOPIC, ...props },
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Delete') return { ...common, RequestType: 'Delete', PhysicalResourceId: 'orders' };
  return {
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: 'orders',
    OldResourceProperties: { ServiceToken: 'token', ...TOPIC, ...old },
  };
}

/** A provider whose connect records where it was sent and answers with a topic that exists. */
function recordingProvider(env: Record<string, string | undefined> = PINNED) {
  const connections: BrokerConnection[] = [];
  const admin: TopicAdmin = {
    listTopics: async () => ['orders'],
    fetchTopicMetadata: async () => ({
      topics: [
        {
          name: 'orders',
          partitions: Array.from({ length: 6 }, (_, i) => ({
            partitionId: i,
            partitionErrorCode: 0,
            leader: 1,
            replicas: [1, 2, 3],
            isr: [],
          })),
        },
      ],
    }),
    createTopics: async () => true,
    createPartitions: async () => true,
    alterConfigs: async () => ({ resources: [], throttleTime: 0 }),
    deleteTopics: async () => undefined,
    disconnect: async () => undefined,
  };
  const handler = createTopicsProvider({
    connect: async (connection) => {
      connections.push(connection);
      return admin;
    },
    env,
  });
  return { handler, connections };
}

const PINNED_CONNECTION = {
  brokers: ['b-1.orders:9096', 'b-2.orders:9096'],
  auth: 'scram',
  scramSecretArn: SECRET,
};

describe('kafka-topics-provider pinned to its cluster', () => {
  it.each([
    ['other brokers', { BootstrapBrokers: 'attacker.example:9096' }, /BootstrapBrokers differs/],
    ['another SCRAM secret', { ScramSecretArn: `${SECRET}-other` }, /ScramSecretArn differs/],
    ['IAM auth (a signed MSK token)', { AuthMechanism: 'iam', ScramSecretArn: undefined }, /AuthMechanism/],
  ])('refuses a Create naming %s without connecting or quoting the values', async (_name, override, message) => {
    // Prepare
    const { handler, connections } = recordingProvider();

    // Act
    const error = await handler(event('Create', { ...OWN, ...override })).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'ClusterMismatchError', message: expect.stringMatching(message) });
    expect((error as Error).message).not.toMatch(/attacker|AbCdEf|b-1\.orders/);
    expect(connections).toEqual([]);
  });

  it('refuses an Update whose new properties name other brokers', async () => {
    // Prepare
    const { handler, connections } = recordingProvider();

    // Act
    const updating = handler(event('Update', { ...OWN, BootstrapBrokers: '127.0.0.1:9096' }, OWN));

    // Assess
    await expect(updating).rejects.toThrow(/refusing to connect/);
    expect(connections).toEqual([]);
  });

  it('updates in place after the cluster moved: the new brokers are pinned, the old ones ignored', async () => {
    // Prepare: the deployment updated the function's environment before the resource.
    const { handler, connections } = recordingProvider();

    // Act
    const response = await handler(
      event('Update', { ...OWN, Partitions: '6' }, { ...OWN, BootstrapBrokers: 'b-1.old:9096' }),
    );

    // Assess
    expect(response.Data.Action).toBe('unchanged');
    expect(connections).toEqual([PINNED_CONNECTION]);
  });

  it('retains, connecting nowhere, a topic whose Delete names other brokers', async () => {
    // Prepare: a Delete carries an earlier deployment's properties (or anyone's): never refused, never
    // followed, and never applied to the pinned cluster's topic of that name (it is not that topic).
    const { handler, connections } = recordingProvider();

    // Act
    const response = await handler(event('Delete', { ...OWN, BootstrapBrokers: 'attacker.example:9096' }));

    // Assess
    expect(response.Data.Action).toMatch(/^retained \(the resource names another cluster/);
    expect(response.Data.Action).not.toContain('attacker');
    expect(connections).toEqual([]);
  });

  it.each([
    ['another order and spacing', ' b-2.orders:9096 , b-1.orders:9096 ,'],
    ['the brokers before one was added', 'b-1.orders:9096'],
  ])('deletes on the pinned cluster when a Delete names its brokers in %s', async (_name, brokers) => {
    // Prepare
    const { handler, connections } = recordingProvider();

    // Act
    const response = await handler(event('Delete', { ...OWN, BootstrapBrokers: brokers }));

    // Assess
    expect(response.Data.Action).toBe('deleted');
    expect(connections).toEqual([PINNED_CONNECTION]);
  });

  it('takes a resource without connection properties to the pinned cluster', async () => {
    // Prepare
    const { handler, connections } = recordingProvider();

    // Act
    await handler(event('Create', {}));

    // Assess
    expect(connections).toEqual([PINNED_CONNECTION]);
  });

  it.each([
    ['no environment', {}],
    ['scram without a secret', { ...PINNED, MSKGUARD_KAFKA_SECRET_ARN: undefined }],
    ['an unknown auth mode', { ...PINNED, MSKGUARD_KAFKA_AUTH: 'kerberos' }],
  ])('fails closed with %s: a ConfigurationError, no connection', async (_name, env) => {
    // Prepare
    const { handler, connections } = recordingProvider(env);

    // Act
    const creating = handler(event('Create', OWN));

    // Assess
    await expect(creating).rejects.toBeInstanceOf(ConfigurationError);
    expect(connections).toEqual([]);
  });
});
