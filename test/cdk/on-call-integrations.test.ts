// Guarantee: none of G1–G6 directly; proves the on-call topic reaches people beyond email and HTTPS
// (design §8): an existing topic (PagerDuty, Opsgenie), AWS Chatbot channels, and an encrypted topic.
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { GuardedKafkaConsumer } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { OnCall, type OnCallProps } from '#cdk/constructs/on-call.ts';
import { ConfigurationError } from '#shared/errors.ts';
import {
  consumerDependencies,
  describeViolations,
  FIXTURE_CONSUMER_ENTRY,
  nagViolations,
  testStack,
} from './helpers.ts';

const TEAM = '0a1b2c3d-1111-2222-3333-444455556666';
const TENANT = '9f8e7d6c-5555-4444-3333-222211110000';

function build(props: (stack: ReturnType<typeof testStack>) => Partial<OnCallProps> = () => ({})) {
  const stack = testStack();
  const consumer = new GuardedKafkaConsumer(stack, 'Orders', {
    entry: FIXTURE_CONSUMER_ENTRY,
    consumerGroupId: 'orders-v1',
    topic: 'orders',
    ...consumerDependencies(stack),
  });
  const onCall = new OnCall(stack, 'OnCall', { consumers: [consumer], ...props(stack) });
  return { stack, onCall, template: Template.fromStack(stack) };
}

describe('OnCall integrations', () => {
  it('encrypts its own topic with a rotated customer key that CloudWatch may use', () => {
    // Act
    const { template } = build();

    // Assess
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const topic = Object.values(template.findResources('AWS::SNS::Topic'))[0] as {
      Properties: Record<string, unknown>;
    };
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).toContain('cloudwatch.amazonaws.com');
  });

  it('notifies an existing topic instead of creating one', () => {
    // Act
    const { template, onCall } = build((stack) => ({
      topic: Topic.fromTopicArn(stack, 'Pager', 'arn:aws:sns:eu-west-1:111122223333:pagerduty-mskguard'),
      emails: ['oncall@example.com'],
    }));

    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(onCall.topic.topicArn).toBe('arn:aws:sns:eu-west-1:111122223333:pagerduty-mskguard');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:pagerduty-mskguard'],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: 'arn:aws:sns:eu-west-1:111122223333:pagerduty-mskguard',
      Protocol: 'email',
    });
  });

  it('subscribes AWS Chatbot Slack and Teams channels with a read-only guardrail, nag clean', () => {
    // Act
    const { template, stack } = build(() => ({
      chatbot: {
        slack: [{ name: 'orders-oncall', workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' }],
        teams: [
          {
            name: 'orders-teams',
            teamId: TEAM,
            tenantId: TENANT,
            channelId: '19%3achan%40thread.tacv2',
          },
        ],
      },
    }));

    // Assess
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'orders-oncall',
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCD',
    });
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'orders-teams',
      TeamId: TEAM,
      TeamsTenantId: TENANT,
    });
    expect(JSON.stringify(template.toJSON())).toContain('CloudWatchReadOnlyAccess');
    expect(describeViolations(nagViolations(stack))).toEqual([]);
  });

  it('refuses a key together with an existing topic, and a bad channel name', () => {
    expect(() =>
      build((stack) => ({
        topic: Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:111122223333:t'),
        encryptionKey: new Key(stack, 'K'),
      })),
    ).toThrow(ConfigurationError);
    expect(() =>
      build(() => ({ chatbot: { slack: [{ name: 'bad name', workspaceId: 'T', channelId: 'C' }] } })),
    ).toThrow(/channel configuration name/);
    expect(() =>
      build(() => ({
        chatbot: { teams: [{ name: 'teams', teamId: 'team-1', tenantId: TENANT, channelId: 'c' }] },
      })),
    ).toThrow(/teamId/);
  });
});
