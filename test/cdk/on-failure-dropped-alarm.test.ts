// Guarantee: none of G1–G6 directly; proves that records the event source mapping gave up on and then
// failed to deliver to its on-failure destination (no message, no object: G3's skipped offsets with no
// trace outside the topic) page on-call, whatever the destination kind.
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import type { OnFailureDestination } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { OnCall } from '#cdk/constructs/on-call.ts';
import { consumerDependencies, ordersConsumer, testApp, testStack } from './helpers.ts';

type Kind = OnFailureDestination['kind'];
const KINDS: Kind[] = ['sqs', 'sns', 's3'];

function build(kind: Kind, stack: Stack = testStack(), consumerGroupId = 'orders-v1') {
  const deps = consumerDependencies(stack, 'upstash');
  const onFailure: OnFailureDestination =
    kind === 's3'
      ? { kind, bucket: new Bucket(stack, 'Failures') }
      : kind === 'sns'
        ? { kind, topic: new Topic(stack, 'Failures') }
        : { kind };
  const consumer = ordersConsumer(stack, {
    timeout: Duration.seconds(60),
    consumerGroupId,
    ...deps,
    onFailure,
  });
  const onCall = new OnCall(stack, 'OnCall', { consumers: [consumer] });
  return { onCall, template: Template.fromStack(stack) };
}

function droppedAlarms(template: Template): Record<string, unknown>[] {
  return Object.values(
    template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmName: Match.stringLikeRegexp('-onFailureDropped$') },
    }),
  ).map((r) => (r as { Properties: Record<string, unknown> }).Properties);
}

describe.each(KINDS)('records dropped by the mapping, with an %s on-failure destination', (kind) => {
  it('page on-call on any record, per event source mapping', () => {
    // Act
    const { template, onCall } = build(kind);

    // Assess
    const alarms = droppedAlarms(template);
    expect(alarms).toHaveLength(1);
    expect(onCall.consumerAlarms['orders-v1']?.onFailureDropped).toBeDefined();
    const [esm] = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(alarms[0]).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'DroppedEventCount',
      Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: esm } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    // The on-call topic, as every other alarm of the consumer.
    const errors = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmName: Match.stringLikeRegexp('-errors$') },
    });
    const { AlarmActions, OKActions } = (Object.values(errors)[0] as { Properties: Record<string, unknown> })
      .Properties;
    expect(AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OnCallTopic/) }]);
    expect(alarms[0]).toMatchObject({ AlarmActions, OKActions });
  });

  it('enables the EventCount metrics DroppedEventCount belongs to on the mapping', () => {
    build(kind).template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MetricsConfig: { Metrics: ['EventCount'] },
    });
  });

  it('names its runbook and explains the threshold', () => {
    // Act
    const [alarm] = droppedAlarms(build(kind).template);

    // Assess
    const description = alarm?.AlarmDescription as string;
    expect(description).toMatch(
      /^Runbook: node_modules\/mskguard\/docs\/runbooks\/on-failure-dropped\.md\. /,
    );
    expect(description).toMatch(/DroppedEventCount\)\. Threshold: any record/);
    expect(description).toContain(
      `on-failure ${{ sqs: 'SQS queue', sns: 'SNS topic', s3: 'S3 bucket' }[kind]}`,
    );
  });
});

describe('the dropped-records alarm with the longest names', () => {
  it('keeps its name within 255 characters and its description whole', () => {
    // Prepare: the longest stack name CloudFormation accepts, the longest group id.
    const stack = new Stack(testApp(), `S${'x'.repeat(127)}`);

    // Act
    const [alarm] = droppedAlarms(build('sqs', stack, 'g'.repeat(200)).template);

    // Assess
    expect((alarm?.AlarmName as string).length).toBeLessThanOrEqual(255);
    expect(alarm?.AlarmName).toMatch(/-onFailureDropped$/);
    const description = alarm?.AlarmDescription as string;
    expect(description.length).toBeLessThanOrEqual(1024);
    expect(description.endsWith('destination works again.')).toBe(true);
  });
});
