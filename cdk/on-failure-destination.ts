import { Duration, Validations } from 'aws-cdk-lib';
import type {
  DlqDestinationConfig,
  IEventSourceDlq,
  IEventSourceMapping,
  IFunction,
  MetricsConfig,
} from 'aws-cdk-lib/aws-lambda';
import { MetricType } from 'aws-cdk-lib/aws-lambda';
import { SnsDlq, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { grantS3OnFailureWrite } from './grants.ts';

/** Where records go once the bounded retries are exhausted. */
export type OnFailureDestination =
  | { readonly kind: 'sqs'; readonly queue?: IQueue }
  | { readonly kind: 'sns'; readonly topic: ITopic }
  | { readonly kind: 's3'; readonly bucket: IBucket };

/** The mapping's `onFailure` and the one resource it sends to (the alarms watch that resource). */
export interface OnFailureTarget {
  readonly dlq: IEventSourceDlq;
  readonly queue?: IQueue;
  readonly topic?: ITopic;
  readonly bucket?: IBucket;
}

/**
 * The event source mapping metrics every consumer's mapping publishes: the `EventCount` group holds
 * `OnFailureDestinationDeliveredEventCount` and `DroppedEventCount`, the counts the on-failure alarms
 * need (an S3 bucket has no message metric; a record the mapping could not deliver to any destination
 * shows nowhere else).
 */
export const ESM_EVENT_COUNT: MetricsConfig = { metrics: [MetricType.EVENT_COUNT] };

/** The on-failure destination of a consumer: the given one, or a new encrypted SQS queue under `scope`. */
export function onFailureTarget(scope: Construct, spec: OnFailureDestination | undefined): OnFailureTarget {
  if (spec?.kind === 'sns') return { dlq: new SnsDlq(spec.topic), topic: spec.topic };
  if (spec?.kind === 's3') return { dlq: new S3OnFailureWrite(spec.bucket), bucket: spec.bucket };
  const queue = spec?.queue ?? createOnFailureQueue(scope);
  return { dlq: new SqsDlq(queue), queue };
}

/**
 * An S3 on-failure destination granted only what the mapping writes with. aws-cdk-lib's
 * S3OnFailureDestination grants `grantReadWrite`, which would also let the consumer read and delete
 * every object of the bucket (the given-up records of every consumer writing there).
 */
class S3OnFailureWrite implements IEventSourceDlq {
  readonly #bucket: IBucket;

  public constructor(bucket: IBucket) {
    this.#bucket = bucket;
  }

  public bind(_target: IEventSourceMapping, targetHandler: IFunction): DlqDestinationConfig {
    grantS3OnFailureWrite(targetHandler, this.#bucket);
    return { destination: this.#bucket.bucketArn };
  }
}

function createOnFailureQueue(scope: Construct): Queue {
  const queue = new Queue(scope, 'OnFailureQueue', {
    // KMS (the AWS-managed SQS key) rather than SSE-SQS: records carry business data (checkov CKV_AWS_27).
    encryption: QueueEncryption.KMS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    // The queue is itself the terminal dead-letter destination of the event source mapping.
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is the on-failure destination (a DLQ) of the Kafka event source mapping; ' +
      'its messages are inspected and replayed by an operator, so it has no DLQ of its own.',
  });
  return queue;
}
