// Guarantee: none of G1–G6 directly; proves that an S3 on-failure destination gives the consumer's role
// only what the event source mapping writes with (no read or delete of the bucket's given-up batches),
// and that the one wildcard left (the objects Lambda names) is acknowledged to cdk-nag with a reason.
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { policyStatements } from './consumer-fixture.ts';
import {
  consumerDependencies,
  describeViolations,
  nagViolations,
  ordersConsumer,
  testStack,
} from './helpers.ts';

function build(bucketOf: (stack: ReturnType<typeof testStack>) => IBucket) {
  const stack = testStack();
  const deps = consumerDependencies(stack, 'upstash');
  const consumer = ordersConsumer(stack, { ...deps, onFailure: { kind: 's3', bucket: bucketOf(stack) } });
  return { consumer, template: Template.fromStack(stack) };
}

const ownBucket = (stack: ReturnType<typeof testStack>) =>
  new Bucket(stack, 'Failures', { enforceSSL: true });
const kmsBucket = (stack: ReturnType<typeof testStack>) =>
  new Bucket(stack, 'Failures', { encryption: BucketEncryption.KMS, enforceSSL: true });

/** The statements of the consumer's policy that name an action of `service`. */
function statementsOf(template: Template, service: string): Record<string, unknown>[] {
  return policyStatements(template).filter((s) =>
    [s.Action].flat().some((a) => String(a).startsWith(`${service}:`)),
  );
}

describe('the S3 on-failure destination grant', () => {
  it('allows s3:PutObject on the bucket objects and s3:ListBucket on the bucket, nothing else', () => {
    // Act
    const { template } = build(ownBucket);

    // Assess
    const bucketArn = { 'Fn::GetAtt': [expect.stringMatching(/^Failures/), 'Arn'] };
    expect(statementsOf(template, 's3')).toEqual([
      {
        Sid: 'OnFailureS3Put',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [bucketArn, '/*']] },
      },
      { Sid: 'OnFailureS3List', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn },
    ]);
  });

  it("allows only kms:GenerateDataKey on a KMS-encrypted bucket's key", () => {
    // Act
    const { template } = build(kmsBucket);

    // Assess
    const onBucketKey = statementsOf(template, 'kms').filter((s) =>
      JSON.stringify(s.Resource).includes('FailuresKey'),
    );
    expect(onBucketKey).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FailuresKey/), 'Arn'] },
      },
    ]);
  });

  it.each([
    ['a bucket of the stack', ownBucket],
    ['a KMS-encrypted bucket', kmsBucket],
    [
      'an imported bucket',
      (stack: ReturnType<typeof testStack>) => Bucket.fromBucketName(stack, 'Failures', 'failures'),
    ],
  ])('passes cdk-nag with %s, every acknowledgement explained', (_name, bucketOf) => {
    const { consumer } = build(bucketOf);
    expect(describeViolations(nagViolations(consumer))).toEqual([]);
  });

  it('acknowledges the object wildcard of the bucket only, never an action wildcard', () => {
    // Act
    const { consumer } = build(ownBucket);

    // Assess
    const acknowledged = (consumer.function.role?.node.metadata ?? [])
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.keys(m.data as Record<string, string>))
      .map((id) => id.replace(/^annotation::/i, ''))
      .filter((id) => id.includes('s3') || id.includes('Failures'));
    expect(acknowledged).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<Failures[0-9A-F]+\.Arn>\/\*\]$/),
    ]);
  });
});
