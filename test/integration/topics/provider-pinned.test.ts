// Guarantee: G6 for topic provisioning and the secrets rule of design §8, on the real broker: the
// topics provider (its Lambda entry point, kafkajs included) creates, grows and deletes topics on
// the cluster pinned in its environment, and a resource naming other brokers is refused with no
// connection opened to them: a loopback listener the test owns sees nothing (not a timing check).
import { createServer, type Server } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/kafka-topics-provider.ts';
import { stackVar, uniqueName } from '#test/support/stack.ts';

const brokers = stackVar('KAFKA_BROKERS');
const topic = uniqueName('topics-provider');

function event(
  type: 'Create' | 'Update' | 'Delete',
  props: Record<string, unknown>,
  old: Record<string, unknown> = props,
): CloudFormationCustomResourceEvent {
  const resource = (p: Record<string, unknown>) => ({
    ServiceToken: 'token',
    TopicName: topic,
    ReplicationFactor: '1',
    AllowDeletion: 'true',
    ...p,
  });
  const common = {
    ServiceToken: 'token',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'Topic',
    ResourceType: 'Custom::MskGuardKafkaTopic',
    ResourceProperties: resource(props),
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Delete') return { ...common, RequestType: 'Delete', PhysicalResourceId: topic };
  return {
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: topic,
    OldResourceProperties: resource(old),
  };
}

/** A loopback listener standing in for a host of the requester's: counts and drops connections. */
let decoy: Server;
let decoyBrokers: string;
let decoyConnections = 0;

const admin = new kafkajs.Kafka({ clientId: 'topics-provider-test', brokers: [brokers] }).admin();

async function describeTopic(): Promise<{ partitions: number; retention?: string } | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const configs = await admin.describeConfigs({
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
    includeSynonyms: false,
  });
  return {
    partitions: metadata.topics[0]!.partitions.length,
    retention: configs.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue,
  };
}

beforeAll(async () => {
  decoy = createServer((socket) => {
    decoyConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
  decoyBrokers = `127.0.0.1:${(decoy.address() as { port: number }).port}`;
  // What the KafkaTopics construct pins on the function (the local broker is plaintext).
  vi.stubEnv('MSKGUARD_KAFKA_BROKERS', brokers);
  vi.stubEnv('MSKGUARD_KAFKA_AUTH', 'none');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  await admin.connect();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  // The test deletes its topic itself; this is for a run that failed before.
  if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  await new Promise((resolve) => decoy.close(resolve));
});

describe('kafka-topics-provider on the real broker', () => {
  it('refuses a Create or Update naming other brokers and never connects to them', async () => {
    // Act
    const creating = handler(
      event('Create', { BootstrapBrokers: decoyBrokers, AuthMechanism: 'iam', Partitions: '2' }),
    );
    const updating = handler(
      event(
        'Update',
        { BootstrapBrokers: decoyBrokers, AuthMechanism: 'none', Partitions: '3' },
        {
          BootstrapBrokers: brokers,
          AuthMechanism: 'none',
          Partitions: '2',
        },
      ),
    );

    // Assess
    const [created, updated] = await Promise.allSettled([creating, updating]);
    expect(decoyConnections).toBe(0);
    expect(created).toMatchObject({ status: 'rejected', reason: { name: 'ClusterMismatchError' } });
    expect(updated).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/BootstrapBrokers differs .* refusing to connect/) },
    });
    expect(await describeTopic()).toBeUndefined();
  });

  it('creates, grows and deletes the topic on the pinned broker', async () => {
    // Prepare
    const own = { BootstrapBrokers: brokers, AuthMechanism: 'none' };
    const v1 = { ...own, Partitions: '2', Configs: { 'retention.ms': '3600000' } };
    const v2 = { ...own, Partitions: '3', Configs: { 'retention.ms': '7200000' } };

    // Act
    const created = await handler(event('Create', v1));
    const afterCreate = await describeTopic();
    const updated = await handler(event('Update', v2, v1));
    const afterUpdate = await describeTopic();
    // A Delete's brokers are never followed: one naming others retains the topic, connecting nowhere.
    const retained = await handler(event('Delete', { ...v2, BootstrapBrokers: decoyBrokers }));
    const afterRetain = await describeTopic();
    const deleted = await handler(event('Delete', v2));

    // Assess
    expect(created.Data.Action).toBe('created');
    expect(afterCreate).toEqual({ partitions: 2, retention: '3600000' });
    expect(updated.Data.Action).toBe('updated (partitions 2->3, configs)');
    expect(afterUpdate).toEqual({ partitions: 3, retention: '7200000' });
    expect(retained.Data.Action).toMatch(/^retained \(the resource names another cluster/);
    expect(afterRetain).toEqual({ partitions: 3, retention: '7200000' });
    expect(deleted.Data.Action).toBe('deleted');
    expect(await describeTopic()).toBeUndefined();
    expect(decoyConnections).toBe(0);
  });
});
