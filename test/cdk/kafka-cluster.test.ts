// Guarantee: none of G1–G6 directly; proves the IAM resource naming that scopes every kafka-cluster grant (design §8).
import { Stack, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { kafkaResourceArns, parseKafkaVersion, supportsMskTopicResource } from '#cdk/kafka-cluster.ts';
import { ConfigurationError } from '#shared/errors.ts';
import {
  EXISTING_CLUSTER,
  existingCluster,
  GROUP_ARN_PREFIX,
  TOPIC_ARN_PREFIX,
  testStack,
} from './helpers.ts';

describe('kafkaResourceArns', () => {
  it('derives topic and group ARNs from a literal cluster ARN as plain strings', () => {
    // Prepare
    const arns = kafkaResourceArns(EXISTING_CLUSTER.clusterArn);

    // Act
    const topic = new Stack().resolve(arns.topic('orders'));
    const group = new Stack().resolve(arns.group('orders-v1'));

    // Assess
    expect(topic).toBe(`${TOPIC_ARN_PREFIX}/orders`);
    expect(group).toBe(`${GROUP_ARN_PREFIX}/orders-v1`);
  });

  it('derives them with intrinsics from a token cluster ARN', () => {
    // Prepare
    const stack = testStack();
    const arns = kafkaResourceArns(Token.asString({ Ref: 'Cluster' }));

    // Act
    const group = stack.resolve(arns.group('g'));

    // Assess
    expect(stack.resolve(arns.cluster)).toEqual({ Ref: 'Cluster' });
    expect(group).toEqual({
      'Fn::Join': [
        '',
        [
          { 'Fn::Select': [0, { 'Fn::Split': [':cluster/', { Ref: 'Cluster' }] }] },
          ':group/',
          { 'Fn::Select': [1, { 'Fn::Split': [':cluster/', { Ref: 'Cluster' }] }] },
          '/g',
        ],
      ],
    });
  });
});

describe('supportsMskTopicResource', () => {
  it.each([
    ['msk-provisioned', '3.6.0', true],
    ['msk-provisioned', '3.9.x', true],
    ['msk-provisioned', '4.0.x.kraft', true],
    ['msk-provisioned', '3.5.1', false],
    ['msk-provisioned', '2.8.1', false],
    ['msk-serverless', '3.9.x', false],
  ] as const)('%s on %s → %s', (kind, version, expected) => {
    // Act
    const supported = supportsMskTopicResource({ kind, kafkaVersion: version });

    // Assess
    expect(supported).toBe(expected);
  });

  it('is false when the version is unknown', () => {
    expect(supportsMskTopicResource({ kind: 'msk-provisioned' })).toBe(false);
    expect(parseKafkaVersion('latest')).toBeUndefined();
  });
});

describe('importExistingCluster', () => {
  it('rejects a subnet count that does not match the zones', () => {
    // Prepare
    const stack = testStack();

    // Act
    const act = () => existingCluster(stack, { subnetIds: ['subnet-1', 'subnet-2', 'subnet-3'] });

    // Assess
    expect(act).toThrow(ConfigurationError);
  });

  it('requires the SCRAM secret for scram and IAM for serverless', () => {
    expect(() => existingCluster(testStack(), { auth: 'scram' })).toThrow(/scramSecretArn is required/);
    expect(() =>
      existingCluster(testStack(), { kind: 'msk-serverless', auth: 'scram', scramSecretArn: 'arn:x' }),
    ).toThrow(/only IAM/);
  });
});
