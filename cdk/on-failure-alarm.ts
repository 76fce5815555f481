import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { GuardedKafkaConsumer } from './constructs/guarded-kafka-consumer.ts';
import type { AlarmSpec } from './consumer-alarms.ts';

// The alarm on records a consumer's event source mapping gave up on and sent to its on-failure
// destination: each one is a business event to inspect and replay, whatever the destination.

const FIVE_MINUTES = Duration.minutes(5);
const GTE = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

export function onFailureSpec(consumer: GuardedKafkaConsumer, threshold: number): AlarmSpec | undefined {
  const group = consumer.consumerGroupId;
  const common = {
    kind: 'onFailureMessages' as const,
    threshold,
    comparisonOperator: GTE,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  };
  const why =
    'Threshold: any record, because each one exhausted its retries and was skipped by the ESM; it must be ' +
    'inspected and replayed or the business event is lost.';
  if (consumer.onFailureQueue) {
    return {
      ...common,
      metric: consumer.onFailureQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: FIVE_MINUTES,
      }),
      explanation: `Records of ${group} are waiting in the on-failure SQS queue. ${why}`,
    };
  }
  if (consumer.onFailureTopic) {
    return {
      ...common,
      metric: consumer.onFailureTopic.metricNumberOfMessagesPublished({
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      explanation: `Records of ${group} were published to the on-failure SNS topic. ${why}`,
    };
  }
  if (consumer.onFailureBucket) {
    // A bucket has no message count: the mapping's own EventCount metrics (MetricsConfig, which
    // GuardedKafkaConsumer enables for S3 destinations) count what it sent there, and what it
    // dropped because the delivery failed.
    const esm = (metricName: string) =>
      new Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { EventSourceMappingUUID: consumer.eventSourceMapping.eventSourceMappingId },
        period: FIVE_MINUTES,
        statistic: 'Sum',
      });
    return {
      ...common,
      metric: new MathExpression({
        expression: 'FILL(delivered, 0) + FILL(dropped, 0)',
        usingMetrics: {
          delivered: esm('OnFailureDestinationDeliveredEventCount'),
          dropped: esm('DroppedEventCount'),
        },
        period: FIVE_MINUTES,
        label: 'records sent to the S3 destination + dropped',
      }),
      explanation:
        `The event source mapping of ${group} sent records to the on-failure S3 bucket, or dropped them ` +
        `(AWS/Lambda OnFailureDestinationDeliveredEventCount + DroppedEventCount). ${why}`,
    };
  }
  return undefined;
}
