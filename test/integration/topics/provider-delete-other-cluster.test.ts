// Guarantee: G6 for topic provisioning, on the real broker. A Delete carries the properties of an
// earlier deployment: after a change of cluster (A to B), the cleanup of a topic removed in the same
// update, or the rollback's cleanup of a topic created on B, names the other cluster while the
// provider is pinned to this one. Deleting the topic of that name here would delete another
// topic's data (a mirrored or unrelated topic of the same name); the provider retains it instead and
// connects to nothing. The same brokers written another way (order, spaces, a trailing comma) are
// still this cluster, and its topic is deleted.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/kafka-topics-provider.ts';
import { stackVar, uniqueName } from '#test/support/stack.ts';

const brokers = stackVar('KAFKA_BROKERS');
const topic = uniqueName('topics-provider-other');

function deleteEvent(bootstrapBrokers: string): CloudFormationCustomResourceEvent {
  return {
    RequestType: 'Delete',
    ServiceToken: 'token',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'Topic',
    ResourceType: 'Custom::MskGuardKafkaTopic',
    PhysicalResourceId: topic,
    ResourceProperties: {
      ServiceToken: 'token',
      BootstrapBrokers: bootstrapBrokers,
      AuthMechanism: 'none',
      TopicName: topic,
      Partitions: '1',
      ReplicationFactor: '1',
      AllowDeletion: 'true',
    },
  };
}

const admin = new kafkajs.Kafka({ clientId: 'topics-provider-other-test', brokers: [brokers] }).admin();

beforeAll(async () => {
  vi.stubEnv('MSKGUARD_KAFKA_BROKERS', brokers);
  vi.stubEnv('MSKGUARD_KAFKA_AUTH', 'none');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: true,
  });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
});

describe('kafka-topics-provider Delete of a resource naming another cluster', () => {
  it("retains the pinned cluster's topic of that name and says why", async () => {
    // Act
    const response = await handler(deleteEvent('b-1.old-cluster.example:9098,b-2.old-cluster.example:9098'));

    // Assess
    expect(response.Data.Action).toMatch(/^retained \(the resource names another cluster/);
    expect(response.Data.Action).not.toContain('old-cluster');
    expect(await admin.listTopics()).toContain(topic);
  });

  it('deletes when the brokers are this cluster in another order or spacing', async () => {
    // Prepare: the same brokers, reordered, spaced, with a trailing comma.
    const written = ` ${brokers.split(',').reverse().join(' , ')} ,`;

    // Act
    const response = await handler(deleteEvent(written));

    // Assess
    expect(response.Data.Action).toBe('deleted');
    expect(await admin.listTopics()).not.toContain(topic);
  });
});
