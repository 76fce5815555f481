// Guarantee: G6 for topic provisioning: a retained topic's Delete never depends on the brokers (a stack
// whose cluster, secret or network path is already gone must still delete), and a malformed event gets
// a typed error instead of a property-read crash or a silent Create.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createTopicsProvider, KafkaAdminError } from '#functions/kafka-topics-provider.ts';
import { TopicSpecError } from '#functions/kafka-topics-spec.ts';

const PROPS = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
  BootstrapBrokers: 'b-1:9098',
  AuthMechanism: 'iam',
  TopicName: 'orders',
  Partitions: '6',
  ReplicationFactor: '3',
};

function deleteEvent(allowDeletion: string): CloudFormationCustomResourceEvent {
  return {
    RequestType: 'Delete',
    ServiceToken: PROPS.ServiceToken,
    ResponseURL: 'https://example.invalid/response',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'Topic',
    ResourceType: 'Custom::MskGuardKafkaTopic',
    PhysicalResourceId: 'orders',
    ResourceProperties: { ...PROPS, AllowDeletion: allowDeletion },
  };
}

/** The brokers are gone (cluster deleted first, security group removed): every connect fails. */
let connects = 0;
const unreachable = async () => {
  connects++;
  throw new KafkaAdminError('Kafka admin failed to connect to the brokers: Connection timeout', {
    retriable: true,
  });
};

describe('kafka-topics-provider without brokers', () => {
  it('deletes a retained topic resource without connecting', async () => {
    // Prepare: no pinned cluster either (env empty): a retained Delete reads none.
    connects = 0;
    const handler = createTopicsProvider({ connect: unreachable, env: {} });

    // Act
    const response = await handler(deleteEvent('false'));

    // Assess
    expect(response).toEqual({
      PhysicalResourceId: 'orders',
      Data: { TopicName: 'orders', Partitions: 6, Action: 'retained (AllowDeletion is false)' },
    });
    expect(connects).toBe(0);
  });

  it('still fails a Delete that must remove the topic when the brokers are unreachable', async () => {
    // Prepare
    const handler = createTopicsProvider({
      connect: unreachable,
      env: { MSKGUARD_KAFKA_BROKERS: PROPS.BootstrapBrokers, MSKGUARD_KAFKA_AUTH: 'iam' },
    });

    // Act
    const deleting = handler(deleteEvent('true'));

    // Assess
    await expect(deleting).rejects.toBeInstanceOf(KafkaAdminError);
  });

  it.each([
    ['null', null],
    ['no RequestType', { ResourceProperties: PROPS }],
    ['an unknown RequestType', { RequestType: 'Replace', ResourceProperties: PROPS }],
  ])('answers %s with a TopicSpecError before connecting', async (_name, event) => {
    // Prepare
    connects = 0;
    const handler = createTopicsProvider({ connect: unreachable });

    // Act
    const result = handler(event as unknown as CloudFormationCustomResourceEvent);

    // Assess
    await expect(result).rejects.toBeInstanceOf(TopicSpecError);
    await expect(result).rejects.toThrow(/RequestType/);
    expect(connects).toBe(0);
  });
});
