// Guarantee: none of G1–G6 directly; proves that records skipped after exhausting their retries page
// someone when the on-failure destination is an S3 bucket too (G3's skipped offsets must be replayed).
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import type { OnFailureDestination } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { OnCall } from '#cdk/constructs/on-call.ts';
import { consumerDependencies, ordersConsumer, testStack } from './helpers.ts';

function build(kind: OnFailureDestination['kind']) {
  const stack = testStack();
  const deps = consumerDependencies(stack, 'upstash');
  const onFailure: OnFailureDestination | undefined =
    kind === 's3' ? { kind: 's3', bucket: new Bucket(stack, 'Failures') } : undefined;
  const consumer = ordersConsumer(stack, {
    timeout: Duration.seconds(60),
    ...deps,
    ...(onFailure ? { onFailure } : {}),
  });
  const onCall = new OnCall(stack, 'OnCall', { consumers: [consumer] });
  return { onCall, template: Template.fromStack(stack) };
}

function esmLogicalId(template: Template): string {
  const [id] = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'));
  return id!;
}

describe('on-failure alarm with an S3 destination', () => {
  it('alarms on records the mapping sent to the bucket, per event source mapping', () => {
    // Arrange
    const { template, onCall } = build('s3');

    // Act
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp('-onFailureMessages$') },
      }),
    ) as { Properties: Record<string, unknown> }[];

    // Assess
    expect(alarms).toHaveLength(1);
    expect(onCall.consumerAlarms['orders-v1']?.onFailureMessages).toBeDefined();
    const props = alarms[0]!.Properties;
    expect(props).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(props.AlarmDescription).toMatch(/^Runbook: [^ ]+\/on-failure-destination\.md\. /);
    // Dropped records have their own alarm (on-failure-dropped-alarm.test.ts): counted here too, one
    // failed delivery would page twice, under a runbook that looks for an object that is not there.
    expect(props).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'OnFailureDestinationDeliveredEventCount',
      Statistic: 'Sum',
      Period: 300,
      Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: esmLogicalId(template) } }],
    });
    expect(props.Metrics).toBeUndefined();
  });

  it('enables the EventCount metrics that count needs on the event source mapping', () => {
    const { template } = build('s3');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MetricsConfig: { Metrics: ['EventCount'] },
    });
  });

  it('gives every destination the same number of alarms per consumer', () => {
    expect(build('s3').onCall.alarms).toHaveLength(build('sqs').onCall.alarms.length);
  });
});
