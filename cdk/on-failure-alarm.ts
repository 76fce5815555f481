import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, type IMetric, Metric } from 'aws-cdk-lib/aws-cloudwatch';
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
  const delivered = deliveredTo(consumer);
  if (!delivered) return undefined;
  const why =
    'Threshold: any record, because each one exhausted its retries and was skipped by the ESM; it must be ' +
    'inspected and replayed or the business event is lost.';
  return {
    ...ANY_RECORD,
    kind: 'onFailureMessages',
    threshold,
    metric: delivered.metric,
    explanation: `${delivered.what} ${why}`,
  };
}

/** What counts the records that reached a consumer's on-failure destination, and how to say so. */
function deliveredTo(consumer: GuardedKafkaConsumer): { metric: IMetric; what: string } | undefined {
  const group = consumer.consumerGroupId;
  const period = FIVE_MINUTES;
  if (consumer.onFailureQueue)
    return {
      metric: consumer.onFailureQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period,
      }),
      what: `Records of ${group} are waiting in the on-failure SQS queue.`,
    };
  if (consumer.onFailureTopic)
    return {
      metric: consumer.onFailureTopic.metricNumberOfMessagesPublished({ statistic: 'Sum', period }),
      what: `Records of ${group} were published to the on-failure SNS topic.`,
    };
  // A bucket has no message count: the mapping counts what it sent there. What it failed to send is
  // the onFailureDropped alarm's, as for the other destinations.
  if (consumer.onFailureBucket)
    return {
      metric: esmMetric(consumer, 'OnFailureDestinationDeliveredEventCount'),
      what:
        `The event source mapping of ${group} sent records to the on-failure S3 bucket ` +
        '(AWS/Lambda OnFailureDestinationDeliveredEventCount).',
    };
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
