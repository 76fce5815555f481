// Guarantee: none of G1–G6 directly; proves the watchdog's wiring (design §8): a function in the VPC run
// every minute, allowed to read only its consumers' ESMs, checkpoints and audit items, and alarms that
// fire when the consumer is silent (missing checkpoint-age data is breaching) or never checkpointed.
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmDescription, OnCall } from '#cdk/constructs/on-call.ts';
import { PipelineDashboard } from '#cdk/constructs/pipeline-dashboard.ts';
import { Watchdog } from '#cdk/constructs/watchdog.ts';
import { watchdogAlarmSpecs } from '#cdk/watchdog-alarms.ts';
import { ConfigurationError } from '#shared/errors.ts';
import {
  consumerDependencies,
  describeViolations,
  FIXTURE_RESTORE_ENTRY,
  nagViolations,
  ordersConsumer,
  testStack,
} from './helpers.ts';

function build(watchdogProps: Partial<ConstructorParameters<typeof Watchdog>[2]> = {}, dashboard = false) {
  const stack = testStack();
  const deps = consumerDependencies(stack);
  const consumer = ordersConsumer(stack, {
    ...deps,
  });
  const watchdog = new Watchdog(stack, 'Watchdog', {
    entry: FIXTURE_RESTORE_ENTRY,
    cluster: deps.cluster,
    tables: deps.tables,
    consumers: [consumer],
    ...watchdogProps,
  });
  const onCall = new OnCall(stack, 'OnCall', { consumers: [consumer], watchdog });
  if (dashboard) new PipelineDashboard(stack, 'Dashboard', { consumers: [consumer], onCall, watchdog });
  return { stack, watchdog, onCall, template: Template.fromStack(stack) };
}

function alarmProps(template: Template, kind: string): Record<string, unknown> {
  const found = Object.values(
    template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmName: Match.stringLikeRegexp(`-${kind}$`) },
    }),
  ) as { Properties: Record<string, unknown> }[];
  expect(found, kind).toHaveLength(1);
  return found[0]!.Properties;
}

describe('Watchdog', () => {
  let built: ReturnType<typeof build>;

  beforeAll(() => {
    built = build();
  });

  it('passes cdk-nag', () => {
    expect(describeViolations(nagViolations(built.stack))).toEqual([]);
  });

  it('runs every minute from an EventBridge rule, without retries, one at a time, in the VPC', () => {
    // Assess
    built.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^mskguard watchdog'),
      ReservedConcurrentExecutions: 1,
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          MSKGUARD_WATCHDOG_TARGETS: Match.anyValue(),
          MSKGUARD_MAX_RESTORE_SECONDS: '900',
          MSKGUARD_KAFKA_AUTH: 'iam',
        }),
      },
    });
  });

  it('may read only its consumers ESMs, checkpoints and audit items, and describe their topic and group', () => {
    // Assess
    const watchdogPolicy = JSON.stringify(
      built.template.findResources('AWS::IAM::Policy', {
        Properties: { PolicyName: Match.stringLikeRegexp('^Watchdog') },
      }),
    );
    expect(watchdogPolicy).toContain('"lambda:GetEventSourceMapping"');
    expect(watchdogPolicy).not.toContain('UpdateEventSourceMapping');
    expect(watchdogPolicy).not.toMatch(/dynamodb:(Put|Update|Delete)/);
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'EventSourceMappingRead', Action: 'lambda:GetEventSourceMapping' }),
          Match.objectLike({ Sid: 'AuditRead', Action: 'dynamodb:Query' }),
          Match.objectLike({
            Sid: 'KafkaOffsetsRead',
            Action: ['kafka-cluster:DescribeGroup', 'kafka-cluster:DescribeTopic'],
          }),
        ]),
      },
    });
  });

  it('alarms on a mapping not Enabled for 5 minutes, on stale checkpoints (missing = breaching) and on growing lag', () => {
    // Act
    const esm = alarmProps(built.template, 'esmNotEnabled');
    const age = alarmProps(built.template, 'watchdogCheckpointAge');
    const lag = alarmProps(built.template, 'lagGrowing');

    // Assess
    expect(esm).toMatchObject({
      MetricName: 'EsmNotEnabled',
      Namespace: 'MskGuard',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Threshold: 1,
    });
    expect(esm.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: 'mskguard' },
        { Name: 'consumerGroup', Value: 'orders-v1' },
      ]),
    );
    expect(age).toMatchObject({
      MetricName: 'WatchdogCheckpointAgeSeconds',
      Threshold: 900,
      EvaluationPeriods: 3,
      TreatMissingData: 'breaching',
    });
    const metrics = lag.Metrics as { Expression?: string }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(lag > 1000 AND DIFF(lag) > 0, 1, 0)');
    expect(lag).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 1 });
  });

  it('says in the checkpoint-age description that a consumer with no checkpoint since the mapping changed pages too', () => {
    // Act
    const description = alarmProps(built.template, 'watchdogCheckpointAge').AlarmDescription as string;
    const longest = watchdogAlarmSpecs(`orders:v1@${'g'.repeat(190)}`, {}, Duration.minutes(15)).find(
      (spec) => spec.kind === 'watchdogCheckpointAge',
    )!;

    // Assess: decision 0024, whole even for a 200-character group id (never cut at 1,024 characters).
    expect(description).toContain(
      'wait beyond a checkpoint older than 900 s, or none since the mapping last changed, measured by the watchdog',
    );
    expect(alarmDescription('watchdogCheckpointAge', longest.explanation)).toMatch(
      /or none since the mapping last changed.*nobody watches the consumer\.$/,
    );
  });

  it('refuses an interval under a minute and an empty consumer list', () => {
    expect(() => build({ interval: Duration.seconds(30) })).toThrow(ConfigurationError);
    expect(() => build({ consumers: [] })).toThrow(/consumers is empty/);
  });
});

describe('PipelineDashboard with the watchdog', () => {
  it('puts the watchdog row first: running, stopped, behind, stuck for', () => {
    // Act
    const { template } = build({}, true);
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));

    // Assess
    const order = [
      'WatchdogRun',
      'EsmNotEnabled',
      'GroupLag',
      'WatchdogCheckpointAgeSeconds',
      'mskguard alarms',
      'RecordsIn',
    ];
    const positions = order.map((needle) => body.indexOf(needle));
    expect(
      positions.every((p) => p >= 0),
      JSON.stringify(positions),
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
