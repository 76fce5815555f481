// Guarantee: none of G1–G6 directly; proves topic management (design §8): AWS::MSK::Topic on MSK
// provisioned ≥ 3.6, a VPC custom resource otherwise, and topics never deleted unless allowed.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  encodeTopicConfigs,
  KafkaTopics,
  type KafkaTopicsProps,
  TopicManagement,
} from '#cdk/constructs/kafka-topics.ts';
import { ConfigurationError } from '#shared/errors.ts';
import {
  describeViolations,
  existingCluster,
  nagViolations,
  TOPIC_ARN_PREFIX,
  testStack,
} from './helpers.ts';

const SCRAM_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:AmazonMSK_orders-AbCdEf';

const ORDERS = {
  name: 'orders',
  partitions: 6,
  replicationFactor: 3,
  configs: { 'retention.ms': '604800000', 'cleanup.policy': 'delete' },
};

function synth(
  clusterOverrides: Parameters<typeof existingCluster>[1] = {},
  props: Partial<KafkaTopicsProps> = {},
) {
  const stack = testStack();
  const topics = new KafkaTopics(stack, 'Topics', {
    cluster: existingCluster(stack, clusterOverrides),
    topics: [ORDERS],
    ...props,
  });
  return { stack, topics, template: Template.fromStack(stack) };
}

describe('KafkaTopics on MSK provisioned 3.6+', () => {
  it('declares AWS::MSK::Topic with base64 properties-file configs and retains it', () => {
    // Act
    const { template, topics } = synth();

    // Assess
    expect(topics.management).toBe(TopicManagement.CLOUDFORMATION);
    template.hasResource('AWS::MSK::Topic', {
      Properties: {
        ClusterArn:
          'arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0a1b2c3d-1111-2222-3333-444455556666-7',
        TopicName: 'orders',
        PartitionCount: 6,
        ReplicationFactor: 3,
        Configs: Buffer.from('cleanup.policy=delete\nretention.ms=604800000').toString('base64'),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('lets the topic be deleted only when allowDeletion is set', () => {
    const { template } = synth({}, { allowDeletion: true });
    template.hasResource('AWS::MSK::Topic', { DeletionPolicy: 'Delete' });
  });

  it('encodes configs deterministically', () => {
    expect(Buffer.from(encodeTopicConfigs({ b: '2', a: '1' }), 'base64').toString()).toBe('a=1\nb=2');
  });
});

describe('KafkaTopics through the custom resource', () => {
  it('is used for MSK Serverless, with the handler in the VPC and per-topic IAM without DeleteTopic', () => {
    // Act
    const { template, topics } = synth({ kind: 'msk-serverless', kafkaVersion: undefined });

    // Assess
    expect(topics.management).toBe(TopicManagement.CUSTOM_RESOURCE);
    expect(testStack().resolve(topics.topicArns.orders)).toBe(`${TOPIC_ARN_PREFIX}/orders`);
    template.hasResourceProperties('Custom::MskGuardKafkaTopic', {
      TopicName: 'orders',
      Partitions: 6,
      ReplicationFactor: 3,
      Configs: ORDERS.configs,
      AuthMechanism: 'iam',
      AllowDeletion: false,
      BootstrapBrokers: 'b-1.orders.example:9098,b-2.orders.example:9098',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Timeout: 300,
      VpcConfig: Match.objectLike({ SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'] }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [
              'kafka-cluster:AlterTopic',
              'kafka-cluster:AlterTopicDynamicConfiguration',
              'kafka-cluster:CreateTopic',
              'kafka-cluster:DescribeTopic',
              'kafka-cluster:DescribeTopicDynamicConfiguration',
            ],
            Resource: `${TOPIC_ARN_PREFIX}/orders`,
          }),
        ]),
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('kafka-cluster:DeleteTopic');
  });

  it('opens the broker port from the provider to the cluster security group', () => {
    const { template } = synth({ kafkaVersion: '3.5.1' });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0123456789abcdef0',
      FromPort: 9098,
      ToPort: 9098,
      IpProtocol: 'tcp',
    });
  });

  it('is used below Kafka 3.6 and grants DeleteTopic only when deletion is allowed', () => {
    // Act
    const { template, topics } = synth({ kafkaVersion: '3.5.1' }, { allowDeletion: true });

    // Assess
    expect(topics.management).toBe(TopicManagement.CUSTOM_RESOURCE);
    template.hasResourceProperties('Custom::MskGuardKafkaTopic', { AllowDeletion: true });
    expect(JSON.stringify(template.toJSON())).toContain('kafka-cluster:DeleteTopic');
  });

  it('passes the SCRAM secret ARN and grants read on it', () => {
    // Act
    const { template } = synth({
      kafkaVersion: '3.5.1',
      auth: 'scram',
      scramSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:AmazonMSK_orders-AbCdEf',
    });

    // Assess
    template.hasResourceProperties('Custom::MskGuardKafkaTopic', {
      AuthMechanism: 'scram',
      ScramSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:AmazonMSK_orders-AbCdEf',
    });
    expect(JSON.stringify(template.toJSON())).toContain('secretsmanager:GetSecretValue');
  });

  it('pins the cluster in the provider function: brokers, auth and the SCRAM secret it alone may read', () => {
    // Act
    const { template } = synth({ kafkaVersion: '3.5.1', auth: 'scram', scramSecretArn: SCRAM_SECRET });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MSKGUARD_KAFKA_BROKERS: 'b-1.orders.example:9098,b-2.orders.example:9098',
          MSKGUARD_KAFKA_AUTH: 'scram',
          MSKGUARD_KAFKA_SECRET_ARN: SCRAM_SECRET,
        }),
      },
    });
    const reads = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (
        policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]
      ).filter((statement) => [statement.Action].flat().includes('secretsmanager:GetSecretValue')),
    );
    expect(reads.map((statement) => statement.Resource)).toEqual([SCRAM_SECRET]);
  });

  it('pins IAM auth without a secret', () => {
    const { template } = synth({ kind: 'msk-serverless', kafkaVersion: undefined });
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ MSKGUARD_KAFKA_AUTH: 'iam' }) } },
    });
    const variables = Object.values(fns).map((fn) => fn.Properties.Environment.Variables);
    expect(variables).toEqual([
      expect.objectContaining({ MSKGUARD_KAFKA_BROKERS: 'b-1.orders.example:9098,b-2.orders.example:9098' }),
    ]);
    expect(variables[0]).not.toHaveProperty('MSKGUARD_KAFKA_SECRET_ARN');
  });

  it('passes cdk-nag, framework included', () => {
    const { stack } = synth({ kind: 'msk-serverless', kafkaVersion: undefined });
    expect(describeViolations(nagViolations(stack))).toEqual([]);
  });
});

describe('KafkaTopics validation', () => {
  it.each([
    [{ name: 'bad name', partitions: 1, replicationFactor: 1 }, /Invalid topic/],
    [{ name: 'orders', partitions: 0, replicationFactor: 1 }, /Invalid partitions/],
    [{ name: 'orders', partitions: 1, replicationFactor: 1.5 }, /Invalid replicationFactor/],
  ])('rejects %o', (topic, message) => {
    const stack = testStack();
    expect(() => new KafkaTopics(stack, 'T', { cluster: existingCluster(stack), topics: [topic] })).toThrow(
      message,
    );
  });

  it('rejects duplicates and forcing CloudFormation on a cluster without topic APIs', () => {
    const stack = testStack();
    const cluster = existingCluster(stack, { kafkaVersion: '3.5.1' });
    expect(() => new KafkaTopics(stack, 'A', { cluster, topics: [ORDERS, ORDERS] })).toThrow(
      /declared twice/,
    );
    expect(
      () =>
        new KafkaTopics(stack, 'B', {
          cluster,
          topics: [ORDERS],
          management: TopicManagement.CLOUDFORMATION,
        }),
    ).toThrow(ConfigurationError);
  });
});
