// Guarantee: none of G1–G6 directly; proves design §8 for SASL/SCRAM clusters: MSK only accepts SCRAM
// secrets encrypted with a customer-managed KMS key, so the event source mapping (which reads the
// secret with the function's role) and the in-VPC clients (restore, watchdog, topics provider) need
// kms:Decrypt on that key, or the mapping never connects and the functions fail with AccessDenied.
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { appConfigFromContext, CONTEXT_KEYS } from '#cdk/config.ts';
import { CheckpointTables } from '#cdk/constructs/checkpoint-tables.ts';
import { DedupCache } from '#cdk/constructs/dedup-cache.ts';
import { RestoreFunction } from '#cdk/constructs/restore-function.ts';
import { Watchdog } from '#cdk/constructs/watchdog.ts';
import { existingCluster, FIXTURE_RESTORE_ENTRY, ordersConsumer, testStack } from './helpers.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:AmazonMSK_orders-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/11112222-3333-4444-5555-666677778888';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

function build(withKey: boolean) {
  const stack = testStack();
  const cluster = existingCluster(stack, {
    auth: 'scram',
    scramSecretArn: SECRET_ARN,
    bootstrapBrokers: 'b-1.orders.example:9096',
    ...(withKey ? { scramSecretKeyArn: KEY_ARN } : {}),
  });
  const tables = new CheckpointTables(stack, 'Tables');
  const cache = new DedupCache(stack, 'Cache', { backend: 'upstash', upstashSecret: 'mskguard/upstash' });
  const consumer = ordersConsumer(stack, {
    cluster,
    tables,
    cache,
  });
  new RestoreFunction(stack, 'Restore', {
    entry: FIXTURE_RESTORE_ENTRY,
    cluster,
    tables,
    consumers: [consumer],
  });
  new Watchdog(stack, 'Watchdog', { entry: FIXTURE_RESTORE_ENTRY, cluster, tables, consumers: [consumer] });
  return { stack, template: Template.fromStack(stack) };
}

function statementsOf(template: Template, prefix: string): Statement[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(
      ([, p]) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
}

describe('SASL/SCRAM secret encrypted with a customer-managed key', () => {
  it('lets the consumer (its ESM), the restore function and the watchdog decrypt the secret', () => {
    const { template } = build(true);
    for (const prefix of ['OrdersFunction', 'RestoreFunction', 'WatchdogFunction']) {
      const decrypt = statementsOf(template, prefix).filter(
        (s) => [s.Action].flat().includes('kms:Decrypt') && s.Resource === KEY_ARN,
      );
      expect(decrypt, prefix).toHaveLength(1);
      // Only through Secrets Manager: the grant is for reading the secret, not for the key at large.
      expect(JSON.stringify(decrypt[0]!.Condition), prefix).toContain('secretsmanager.');
    }
  });

  it('warns at synth when the key is not given (the mapping would fail to read the secret)', () => {
    const { stack } = build(false);
    const warnings = Annotations.fromStack(stack).findWarning(
      '*',
      Match.stringLikeRegexp('scramSecretKeyArn'),
    );
    expect(warnings.length).toBeGreaterThan(0);
  });

  it('reads the key ARN from context', () => {
    const read = (key: string): unknown =>
      ({
        [CONTEXT_KEYS.CLUSTER]: 'existing',
        [CONTEXT_KEYS.CLUSTER_ARN]: 'arn:aws:kafka:eu-west-1:111122223333:cluster/o/u',
        [CONTEXT_KEYS.BOOTSTRAP_BROKERS]: 'b-1:9096',
        [CONTEXT_KEYS.VPC_ID]: 'vpc-1',
        [CONTEXT_KEYS.SUBNET_IDS]: 'subnet-1',
        [CONTEXT_KEYS.AVAILABILITY_ZONES]: 'eu-west-1a',
        [CONTEXT_KEYS.SECURITY_GROUP_ID]: 'sg-1',
        [CONTEXT_KEYS.AUTH]: 'scram',
        [CONTEXT_KEYS.SCRAM_SECRET_ARN]: SECRET_ARN,
        'mskguard:scramSecretKeyArn': KEY_ARN,
        [CONTEXT_KEYS.CONSUMERS]: '[{"name":"C","topic":"t","consumerGroupId":"g"}]',
      })[key];
    expect(appConfigFromContext(read).props.cluster).toMatchObject({ scramSecretKeyArn: KEY_ARN });
  });
});
