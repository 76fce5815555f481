import { CfnMicrosoftTeamsChannelConfiguration, SlackChannelConfiguration } from 'aws-cdk-lib/aws-chatbot';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.ts';

/** A Slack channel for AWS Chatbot (the workspace must be authorized once in the Chatbot console). */
export interface SlackChannel {
  /** Name of the Chatbot channel configuration (unique in the account). */
  readonly name: string;
  /** Slack workspace id, e.g. `T0123ABCD`. */
  readonly workspaceId: string;
  /** Slack channel id, e.g. `C0123ABCD` (private channels need /invite @aws). */
  readonly channelId: string;
}

/** A Microsoft Teams channel for AWS Chatbot (the team must be authorized once in the Chatbot console). */
export interface TeamsChannel {
  /** Name of the Chatbot channel configuration (unique in the account). */
  readonly name: string;
  readonly teamId: string;
  readonly tenantId: string;
  /** The channel id, as in the channel link (`19%3a...%40thread.tacv2`). */
  readonly channelId: string;
}

/** AWS Chatbot channels that receive the on-call topic's notifications. */
export interface ChatbotChannels {
  /** @default [] */
  readonly slack?: readonly SlackChannel[];
  /** @default [] */
  readonly teams?: readonly TeamsChannel[];
}

const UUID = /^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/;

/** The guardrail of every channel: people in the channel may read CloudWatch, nothing else. */
const GUARDRAIL = 'CloudWatchReadOnlyAccess';

/**
 * Subscribes AWS Chatbot channels to `topic`. The channel role has no permissions of its own
 * (notifications need none) and the guardrail caps chat commands at CloudWatch read access.
 */
export function chatbotChannels(scope: Construct, topic: ITopic, channels: ChatbotChannels): void {
  const slack = channels.slack ?? [];
  const teams = channels.teams ?? [];
  if (slack.length + teams.length === 0) return;
  const guardrail = ManagedPolicy.fromAwsManagedPolicyName(GUARDRAIL);
  const names = new Set<string>();
  for (const c of [...slack, ...teams]) {
    if (!/^[A-Za-z0-9-_]{1,128}$/.test(c.name))
      throw new ConfigurationError(
        `OnCall chatbot: channel configuration name ${c.name} must be 1-128 of A-Z a-z 0-9 - _.`,
      );
    if (names.has(c.name))
      throw new ConfigurationError(`OnCall chatbot: channel configuration name ${c.name} is used twice.`);
    names.add(c.name);
  }
  for (const c of teams) {
    for (const [field, value] of [
      ['teamId', c.teamId],
      ['tenantId', c.tenantId],
    ] as const) {
      if (!UUID.test(value))
        throw new ConfigurationError(
          `OnCall chatbot: Teams channel ${c.name}: ${field} ${value} must be a UUID.`,
        );
    }
  }
  const role = new Role(scope, 'ChatbotRole', {
    assumedBy: new ServicePrincipal('chatbot.amazonaws.com'),
    description: 'mskguard on-call: AWS Chatbot channels (notifications only, no permissions)',
  });
  slack.forEach((c, i) => {
    new SlackChannelConfiguration(scope, `Slack${i}`, {
      slackChannelConfigurationName: c.name,
      slackWorkspaceId: c.workspaceId,
      slackChannelId: c.channelId,
      notificationTopics: [topic],
      role,
      guardrailPolicies: [guardrail],
    });
  });
  teams.forEach((c, i) => {
    new CfnMicrosoftTeamsChannelConfiguration(scope, `Teams${i}`, {
      configurationName: c.name,
      teamId: c.teamId,
      teamsTenantId: c.tenantId,
      teamsChannelId: c.channelId,
      iamRoleArn: role.roleArn,
      snsTopicArns: [topic.topicArn],
      guardrailPolicies: [guardrail.managedPolicyArn],
    });
  });
}
