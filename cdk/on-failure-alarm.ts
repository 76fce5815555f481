import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { GuardedKafkaConsumer } from './constructs/guarded-kafka-consumer.ts';
import type { AlarmSpec } from './consumer-alarms.ts';

// The alarms on records a consumer's event source mapping gave up on: those it sent to its on-failure
// destination (each one a business event to inspect and replay), and those it could send nowhere.

const FIVE_MINUTES = Duration.minutes(5);
const GTE = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
const ANY_RECORD = { threshold: 1, comparisonOperator: GTE, evaluationPeriods: 1, datapointsToAlarm: 1 };

/**
 * One of the mapping's own EventCount metrics (GuardedKafkaConsumer enables the group on every
 * mapping), per mapping: two consumers of one function would otherwise be summed.
 */
function esmMetric(consumer: GuardedKafkaConsumer, metricName: string): Metric {
  return new Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { EventSourceMappingUUID: consumer.eventSourceMapping.eventSourceMappingId },
    period: FIVE_MINUTES,
    statistic: 'Sum',
  });
}

export function onFailureSpec(consumer: GuardedKafkaConsumer, threshold: number): AlarmSpec | undefined {
  const group = consumer.consumerGroupId;
  const common = { ...ANY_RECORD, kind: 'onFailureMessages' as const, threshold };
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
    // A bucket has no message count: the mapping counts what it sent there. What it failed to send
    // is the onFailureDropped alarm's, as for the other destinations.
    return {
      ...common,
      metric: esmMetric(consumer, 'OnFailureDestinationDeliveredEventCount'),
      explanation:
        `The event source mapping of ${group} sent records to the on-failure S3 bucket ` +
        `(AWS/Lambda OnFailureDestinationDeliveredEventCount). ${why}`,
    };
  }
  return undefined;
}

/**
 * Records the mapping gave up on and could not deliver to its on-failure destination, whatever its
 * kind: Lambda counts them in DroppedEventCount (which leaves out what the destination received),
 * and nothing else shows them: no message, no object, the queue or topic metrics stay quiet.
 */
export function droppedSpec(consumer: GuardedKafkaConsumer): AlarmSpec {
  const destination = consumer.onFailureQueue
    ? 'SQS queue'
    : consumer.onFailureTopic
      ? 'SNS topic'
      : 'S3 bucket';
  return {
    ...ANY_RECORD,
    kind: 'onFailureDropped',
    metric: esmMetric(consumer, 'DroppedEventCount'),
    explanation:
      `The event source mapping of ${consumer.consumerGroupId} gave up on records and failed to deliver them to ` +
      `its on-failure ${destination} (AWS/Lambda DroppedEventCount). Threshold: any record, because the ` +
      'destination holds no trace of them (only the topic, until its retention, and the skipped offsets of ' +
      'the checkpoints do), and every later failure is lost the same way until the destination works again.',
  };
}
