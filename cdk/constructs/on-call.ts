import { createHash } from 'node:crypto';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { type ITopic, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.ts';
import {
  ALARM_RUNBOOKS,
  type AlarmKind,
  type AlarmSpec,
  type ConsumerAlarmThresholds,
  consumerAlarmSpecs,
} from '../consumer-alarms.ts';
import { RESTORE_METRICS, restoreMetric } from '../metrics.ts';
import { type WatchdogAlarmThresholds, watchdogAlarmSpecs } from '../watchdog-alarms.ts';
import { type ChatbotChannels, chatbotChannels } from './chatbot.ts';
import type { GuardedKafkaConsumer } from './guarded-kafka-consumer.ts';
import type { RestoreFunction } from './restore-function.ts';
import type { Watchdog } from './watchdog.ts';

/**
 * Where alarm descriptions point by default: the runbooks the package ships (`docs/runbooks/` in
 * the installed `mskguard`), so the path resolves in the repository that deploys the stack.
 */
export const RUNBOOK_DIR = 'node_modules/mskguard/docs/runbooks';

/** Properties of {@link OnCall}. */
export interface OnCallProps {
  /** Consumers to watch. */
  readonly consumers: readonly GuardedKafkaConsumer[];
  /** The restore function, to page when a restore fails. @default - no restore alarm */
  readonly restore?: RestoreFunction;
  /** Email addresses subscribed to the on-call topic. @default [] */
  readonly emails?: readonly string[];
  /** HTTPS endpoints (pager webhooks) subscribed to the on-call topic. @default [] */
  readonly httpsEndpoints?: readonly string[];
  /** Alarm thresholds applied to every consumer. @default - see {@link ConsumerAlarmThresholds} */
  readonly thresholds?: ConsumerAlarmThresholds;
  /**
   * Customer-managed key for the topic (CloudWatch gets permission to use it). The AWS-managed
   * SNS key cannot be used: CloudWatch alarms are not allowed to publish with it.
   * @default - a new customer-managed key with rotation, used by this topic only
   */
  readonly encryptionKey?: IKey;
  /**
   * An existing topic to notify instead of creating one (an organization-wide pager topic, or the
   * topic a PagerDuty / Opsgenie integration subscribes to). Its policy must let CloudWatch publish
   * and its key (if any) must let CloudWatch use it; `encryptionKey` does not apply.
   * @default - a new topic
   */
  readonly topic?: ITopic;
  /** AWS Chatbot channels (Slack, Microsoft Teams) that receive the notifications. @default - none */
  readonly chatbot?: ChatbotChannels;
  /** The watchdog: adds its alarms (ESM not enabled, checkpoint age, lag growing) per consumer. @default - none */
  readonly watchdog?: Watchdog;
  /** Thresholds of the watchdog's alarms. @default - see {@link WatchdogAlarmThresholds} */
  readonly watchdogThresholds?: WatchdogAlarmThresholds;
  /**
   * Where each alarm description sends the on-call engineer: a folder or URL holding mskguard's
   * runbooks under their file names (your wiki, or a copy of the package's `docs/runbooks/`),
   * e.g. `https://wiki.example.com/mskguard/runbooks`. A page at 3 a.m. should be one click away.
   * @default 'node_modules/mskguard/docs/runbooks' (the copy the package ships)
   */
  readonly runbookBase?: string;
}

/**
 * The on-call surface: an SNS topic (a new KMS-encrypted one, or yours) with email, HTTPS and AWS
 * Chatbot (Slack, Teams) subscribers and, per consumer, alarms on errors, throttles, duration near
 * the timeout, offset lag, duplicate-rate spikes, cache errors, degraded mode, checkpoint age,
 * quarantine growth and on-failure messages; with a {@link Watchdog}, also on a mapping that is not
 * enabled, checkpoints stale where records wait, and lag that keeps growing. Each alarm description
 * names its runbook (`runbookBase`/<alarm>.md) and explains its threshold.
 *
 * @example
 * ```ts
 * const onCall = new OnCall(this, 'OnCall', {
 *   consumers: [orders], restore, watchdog, emails: ['oncall@example.com'],
 *   chatbot: { slack: [{ name: 'orders-oncall', workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' }] },
 * });
 * ```
 */
export class OnCall extends Construct {
  /** The topic every alarm notifies (ALARM and OK). */
  public readonly topic: ITopic;
  /** Alarms by consumer group id, then by kind. */
  public readonly consumerAlarms: Readonly<Record<string, Partial<Record<AlarmKind, Alarm>>>>;
  /** The restore-failure alarm, when a restore function is watched. */
  public readonly restoreAlarm: Alarm | undefined;
  /** Every alarm of this construct. */
  public readonly alarms: readonly Alarm[];

  readonly #runbookBase: string;

  public constructor(scope: Construct, id: string, props: OnCallProps) {
    super(scope, id);
    this.#runbookBase = (props.runbookBase ?? RUNBOOK_DIR).replace(/\/+$/, '');
    if (props.topic && props.encryptionKey)
      throw new ConfigurationError(
        'OnCall: give encryptionKey or an existing topic, not both (the topic has its own).',
      );
    this.topic = props.topic ?? this.createTopic(props.encryptionKey);
    for (const email of props.emails ?? []) {
      if (!/^[^@\s]+@[^@\s]+$/.test(email))
        throw new ConfigurationError(`OnCall: invalid email address ${email}.`);
      this.topic.addSubscription(new EmailSubscription(email));
    }
    for (const url of props.httpsEndpoints ?? []) {
      if (!url.startsWith('https://'))
        throw new ConfigurationError(`OnCall: endpoint ${url} must use https://.`);
      this.topic.addSubscription(new UrlSubscription(url, { protocol: SubscriptionProtocol.HTTPS }));
    }

    chatbotChannels(this, this.topic, props.chatbot ?? {});

    const all: Alarm[] = [];
    const byGroup: Record<string, Partial<Record<AlarmKind, Alarm>>> = {};
    props.consumers.forEach((consumer, index) => {
      const alarms: Partial<Record<AlarmKind, Alarm>> = {};
      const specs = [
        ...consumerAlarmSpecs(consumer, props.thresholds),
        ...(props.watchdog
          ? watchdogAlarmSpecs(consumer.consumerGroupId, props.watchdogThresholds, props.watchdog.interval)
          : []),
      ];
      for (const spec of specs) {
        const alarm = this.alarm(`Consumer${index}-${spec.kind}`, consumer.consumerGroupId, spec);
        alarms[spec.kind] = alarm;
        all.push(alarm);
      }
      byGroup[consumer.consumerGroupId] = alarms;
    });
    if (props.restore) {
      this.restoreAlarm = this.alarm('Restore-restoreErrors', 'restore', restoreErrorsSpec(props.restore));
      all.push(this.restoreAlarm);
    }
    this.consumerAlarms = byGroup;
    this.alarms = all;
  }

  private createTopic(given: IKey | undefined): Topic {
    // CloudWatch cannot publish to a topic under the AWS-managed SNS key: a key of our own, rotated.
    const key =
      given ??
      new Key(this, 'TopicKey', {
        description: 'mskguard on-call topic',
        enableKeyRotation: true,
      });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    return new Topic(this, 'Topic', { displayName: 'mskguard on-call', enforceSSL: true, masterKey: key });
  }

  private alarm(id: string, subject: string, spec: AlarmSpec): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: alarmName(Stack.of(this).stackName, subject, spec.kind),
      alarmDescription: alarmDescription(spec.kind, spec.explanation, this.#runbookBase),
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      // Quiet topics emit no datapoints; silence is not an incident. The watchdog's alarms, which
      // watch from outside the consumer, set their own rule (a silent watchdog is an incident).
      treatMissingData: spec.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}

/** CloudWatch's limit on alarm names. */
export const MAX_ALARM_NAME_LENGTH = 255;

/**
 * `<stack>-<subject>-<kind>`, unchanged whenever it fits in {@link MAX_ALARM_NAME_LENGTH}. A stack name
 * (up to 128 characters) and a consumer group id (up to 200) can be too long together: the subject
 * is then cut and followed by 8 hex characters of its SHA-256, so two long group ids that share a
 * prefix still get different names, and the same group always gets the same name.
 */
export function alarmName(stackName: string, subject: string, kind: AlarmKind): string {
  const full = `${stackName}-${subject}-${kind}`;
  // An unresolved stack name (a token) has no length to judge at synth; such stacks keep the plain name.
  if (full.length <= MAX_ALARM_NAME_LENGTH || Token.isUnresolved(stackName)) return full;
  const hash = createHash('sha256').update(subject).digest('hex').slice(0, 8);
  const room = MAX_ALARM_NAME_LENGTH - stackName.length - kind.length - hash.length - 3;
  return `${stackName}-${subject.slice(0, Math.max(0, room))}-${hash}-${kind}`;
}

/**
 * A restore that failed while executing, or a run that crashed or timed out. The handler answers
 * its errors instead of throwing, so AWS/Lambda `Errors` alone never sees a failed restore: the
 * function's `RestoreFailed` (1 per answer with exit code 4) is added to it.
 */
function restoreErrorsSpec(restore: RestoreFunction): AlarmSpec {
  const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' } as const;
  return {
    kind: 'restoreErrors',
    metric: new MathExpression({
      expression: 'FILL(failed, 0) + FILL(errors, 0)',
      usingMetrics: {
        failed: restoreMetric(RESTORE_METRICS.RESTORE_FAILED, restore.function.functionName, fiveMinutes),
        errors: restore.function.metricErrors(fiveMinutes),
      },
      period: Duration.minutes(5),
      label: 'failed restores + function errors',
    }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    explanation:
      'A restore failed while executing (MskGuard RestoreFailed, exit code 4) or the restore function crashed or ' +
      'timed out (AWS/Lambda Errors). Threshold: any failure, because a failed run may leave an event source ' +
      'mapping disabled (the consumer stops, and OffsetLag stops reporting) or a group half-restored. Refusals ' +
      'and usage errors changed nothing and do not count.',
  };
}

/** `Runbook: <base>/<file>. <explanation>` — capped at CloudWatch's 1024 characters. */
export function alarmDescription(kind: AlarmKind, explanation: string, base: string = RUNBOOK_DIR): string {
  const text = `Runbook: ${base}/${ALARM_RUNBOOKS[kind]}. ${explanation}`;
  return text.length <= 1024 ? text : `${text.slice(0, 1021)}...`;
}
