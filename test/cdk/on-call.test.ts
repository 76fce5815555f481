// Guarantee: none of G1–G6 directly; proves that a breach of G1/G2/G3 signals pages someone
// (duplicate spikes, degraded mode, stalled checkpoints, skipped records) with a runbook (design §8).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { GuardedKafkaConsumer, type OnFailureDestination } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { OnCall, type OnCallProps } from '#cdk/constructs/on-call.ts';
import { PipelineDashboard } from '#cdk/constructs/pipeline-dashboard.ts';
import { RestoreFunction } from '#cdk/constructs/restore-function.ts';
import { Watchdog } from '#cdk/constructs/watchdog.ts';
import { ALARM_RUNBOOKS } from '#cdk/consumer-alarms.ts';
import { ConfigurationError } from '#shared/errors.ts';
import {
  consumerDependencies,
  describeViolations,
  FIXTURE_CONSUMER_ENTRY,
  FIXTURE_RESTORE_ENTRY,
  nagViolations,
  testStack,
} from './helpers.ts';

function build(props: Partial<OnCallProps> = {}, onFailure?: (stack: Stack) => OnFailureDestination) {
  const stack = testStack();
  const deps = consumerDependencies(stack);
  const consumer = new GuardedKafkaConsumer(stack, 'Orders', {
    entry: FIXTURE_CONSUMER_ENTRY,
    consumerGroupId: 'orders-v1',
    topic: 'orders',
    timeout: Duration.seconds(60),
    ...deps,
    ...(onFailure ? { onFailure: onFailure(stack) } : {}),
  });
  const restore = new RestoreFunction(stack, 'Restore', {
    entry: FIXTURE_RESTORE_ENTRY,
    cluster: deps.cluster,
    tables: deps.tables,
    consumers: [consumer],
  });
  const watchdog = new Watchdog(stack, 'Watchdog', {
    entry: FIXTURE_RESTORE_ENTRY,
    cluster: deps.cluster,
    tables: deps.tables,
    consumers: [consumer],
  });
  const onCall = new OnCall(stack, 'OnCall', { consumers: [consumer], restore, watchdog, ...props });
  const dashboard = new PipelineDashboard(stack, 'Dashboard', { consumers: [consumer], onCall });
  return { stack, onCall, dashboard, template: Template.fromStack(stack) };
}

function alarm(template: Template, kind: string): Record<string, unknown> {
  const found = Object.values(
    template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmName: Match.stringLikeRegexp(`-${kind}$`) },
    }),
  );
  expect(found, `alarm ${kind}`).toHaveLength(1);
  return (found[0] as { Properties: Record<string, unknown> }).Properties;
}

describe('OnCall', () => {
  let template: Template;
  let onCall: OnCall;

  beforeAll(() => {
    ({ template, onCall } = build({
      emails: ['oncall@example.com'],
      httpsEndpoints: ['https://pager.example.com/hook'],
    }));
  });

  it('creates an SSL-only topic with the email and HTTPS subscriptions', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://pager.example.com/hook',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('creates one alarm per kind, each notifying the topic on ALARM and OK', () => {
    // Assess
    expect(onCall.alarms).toHaveLength(Object.keys(ALARM_RUNBOOKS).length);
    template.resourceCountIs('AWS::CloudWatch::Alarm', Object.keys(ALARM_RUNBOOKS).length);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^OnCallTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^OnCallTopic') }],
    });
  });

  it('treats missing data as breaching only where a silent watchdog is the incident', () => {
    for (const kind of Object.keys(ALARM_RUNBOOKS)) {
      // Act
      const rule = alarm(template, kind).TreatMissingData;

      // Assess
      expect(rule, kind).toBe(kind === 'watchdogCheckpointAge' ? 'breaching' : 'notBreaching');
    }
  });

  it('names an existing runbook and explains the threshold in every description', () => {
    for (const [kind, file] of Object.entries(ALARM_RUNBOOKS)) {
      // Act
      const description = alarm(template, kind).AlarmDescription as string;

      // Assess
      expect(description.startsWith(`Runbook: node_modules/mskguard/docs/runbooks/${file}. `)).toBe(true);
      expect(description).toMatch(/Threshold: /);
      expect(description.length).toBeLessThanOrEqual(1024);
      expect(existsSync(fileURLToPath(new URL(`../../docs/runbooks/${file}`, import.meta.url))), file).toBe(
        true,
      );
    }
  });

  it.each([
    ['errors', 'Errors', 'AWS/Lambda', 1, 3, 3, 60],
    ['throttles', 'Throttles', 'AWS/Lambda', 1, 5, 3, 60],
    ['duration', 'Duration', 'AWS/Lambda', 48_000, 2, 2, 300],
    ['offsetLag', 'OffsetLag', 'AWS/Lambda', 10_000, 3, 3, 300],
    ['cacheErrors', 'CacheError', 'MskGuard', 5, 1, 1, 300],
    ['degradedMode', 'DegradedInvocation', 'MskGuard', 1, 1, 1, 300],
    ['checkpointAge', 'CheckpointAgeSeconds', 'MskGuard', 900, 3, 3, 300],
    ['quarantineGrowth', 'Quarantined', 'MskGuard', 10, 1, 1, 3600],
    ['onFailureMessages', 'ApproximateNumberOfMessagesVisible', 'AWS/SQS', 1, 1, 1, 300],
    ['onFailureDropped', 'DroppedEventCount', 'AWS/Lambda', 1, 1, 1, 300],
  ])('%s watches %s (%s) at %d over %d periods', (kind, metricName, namespace, threshold, periods, datapoints, period) => {
    expect(alarm(template, kind)).toMatchObject({
      MetricName: metricName,
      Namespace: namespace,
      Threshold: threshold,
      EvaluationPeriods: periods,
      DatapointsToAlarm: datapoints,
      Period: period,
    });
  });

  it('computes the p99 duration threshold as 80% of the timeout', () => {
    expect(alarm(template, 'duration')).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 48_000 });
  });

  it('uses the MskGuard dimensions of ADR 0003 for custom metrics', () => {
    expect(alarm(template, 'degradedMode').Dimensions).toEqual([
      { Name: 'consumerGroup', Value: 'orders-v1' },
      { Name: 'service', Value: 'mskguard' },
    ]);
  });

  it('alarms on the duplicate rate across the four tiers, judged only above a minimum volume', () => {
    // Act
    const props = alarm(template, 'duplicateRate');
    const metrics = props.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Dimensions: unknown[] } };
    }[];

    // Assess
    expect(props.Threshold).toBe(20);
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(
      'IF(recordsIn >= 100, 100 * (FILL(w, 0) + FILL(bt, 0) + FILL(e, 0) + FILL(b, 0)) / recordsIn, 0)',
    );
    for (const tier of ['watermark', 'batch', 'exact', 'bloom-local']) {
      expect(JSON.stringify(metrics)).toContain(`"Value":"${tier}"`);
    }
  });

  it("pages on a restore that failed while executing (the function's RestoreFailed) or on its Lambda Errors", () => {
    // Act
    const props = alarm(template, 'restoreErrors');
    const metrics = props.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] }; Stat: string };
    }[];
    const stat = (id: string) => metrics.find((m) => m.Id === id)?.MetricStat;

    // Assess: the handler answers its errors, so Errors alone never sees a failed restore.
    expect(props).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, DatapointsToAlarm: 1 });
    expect(props.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(errors, 0)');
    expect(stat('failed')).toMatchObject({
      Metric: {
        Namespace: 'MskGuard',
        MetricName: 'RestoreFailed',
        Dimensions: [
          { Name: 'functionName', Value: { Ref: expect.stringMatching(/^RestoreFunction/) } },
          { Name: 'service', Value: 'mskguard' },
        ],
      },
      Stat: 'Sum',
      Period: 300,
    });
    expect(stat('errors')).toMatchObject({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
      Stat: 'Sum',
      Period: 300,
    });
  });

  it('passes cdk-nag', () => {
    expect(describeViolations(nagViolations(onCall))).toEqual([]);
  });

  it('draws the pipeline dashboard with the alarm row and the custom metrics', () => {
    // Act
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));

    // Assess
    for (const name of [
      'RecordsIn',
      'DuplicateWithheld',
      'OffsetLag',
      'DedupLatency',
      'CheckpointAgeSeconds',
      'alarms',
    ]) {
      expect(body).toContain(name);
    }
  });
});

describe('OnCall (overrides)', () => {
  it('applies threshold overrides', () => {
    // Act
    const { template } = build({
      thresholds: {
        offsetLagRecords: 50_000,
        durationFractionOfTimeout: 0.5,
        duplicateRatePercent: 35,
        quarantinedPerHour: 1,
      },
    });

    // Assess
    expect(alarm(template, 'offsetLag').Threshold).toBe(50_000);
    expect(alarm(template, 'duration').Threshold).toBe(30_000);
    expect(alarm(template, 'duplicateRate').Threshold).toBe(35);
    expect(alarm(template, 'quarantineGrowth').Threshold).toBe(1);
  });

  it("points every alarm description at the team's own runbook copy when given one", () => {
    // Act
    const { template } = build({ runbookBase: 'https://wiki.example.com/mskguard/runbooks/' });

    // Assess
    for (const [kind, file] of Object.entries(ALARM_RUNBOOKS)) {
      expect(alarm(template, kind).AlarmDescription).toMatch(
        new RegExp(`^Runbook: https://wiki\\.example\\.com/mskguard/runbooks/${file}\\. `),
      );
    }
  });

  it('watches SNS publications when the on-failure destination is a topic', () => {
    const { template } = build({}, (stack) => ({ kind: 'sns', topic: new Topic(stack, 'Failures') }));
    expect(alarm(template, 'onFailureMessages')).toMatchObject({
      MetricName: 'NumberOfMessagesPublished',
      Namespace: 'AWS/SNS',
    });
  });

  it('rejects malformed subscriptions', () => {
    expect(() => build({ emails: ['not-an-email'] })).toThrow(ConfigurationError);
    expect(() => build({ httpsEndpoints: ['http://insecure.example.com'] })).toThrow(/https:\/\//);
  });
});
