// Guarantee: least-privilege IAM. Lambda accepts `*` in a consumer group id, but the grants write the
// id into `dynamodb:LeadingKeys` StringLike patterns and kafka-cluster group ARNs, where IAM reads
// `*` as a wildcard: a consumer `orders*` would be granted `orders-v2`'s checkpoints, quarantine and
// Kafka group, and a restore or watchdog function the same. Such an id is refused at synth.
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import { policyStatements, synth } from './consumer-fixture.ts';

describe('consumer group ids and IAM wildcards', () => {
  it('refuses a consumer group id holding `*` at synth, naming the wildcard', () => {
    expect(() => synth({ consumerGroupId: 'orders*' })).toThrow(ConfigurationError);
    expect(() => synth({ consumerGroupId: 'orders*' })).toThrow(/"\*".*wildcard/);
  });

  it('keeps the ids Lambda allows otherwise, and scopes their grants to the group alone', () => {
    const { template } = synth({ consumerGroupId: 'team/orders:v1+a=b.c@d_e-f' });
    const keys = policyStatements(template).flatMap(
      (s) =>
        ((s.Condition as Record<string, Record<string, string[]>> | undefined)?.['ForAllValues:StringLike']?.[
          'dynamodb:LeadingKeys'
        ] ?? []) as string[],
    );
    expect(keys.length).toBeGreaterThan(0);
    // The only wildcard is the trailing `#*` the grant adds on purpose.
    for (const key of keys) expect(key.replace(/#\*$/, '')).not.toMatch(/[*?]/);
  });
});
