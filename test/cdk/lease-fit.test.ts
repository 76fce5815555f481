// Issue 17: the construct's retry budget must let the longest lease end within the attempts, or a
// cache blip sends a batch to the on-failure destination unprocessed (decision 0011, 0014).
import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { leaseWaitBudgetSeconds, validateConsumerSettings } from '#cdk/consumer-validation.ts';
import { ConfigurationError } from '#shared/errors.ts';

const settings = (timeoutSeconds: number, retryAttempts?: number, maxRecordAgeSeconds?: number) =>
  validateConsumerSettings({
    consumerGroupId: 'orders-v1',
    topic: 'orders',
    timeout: Duration.seconds(timeoutSeconds),
    ...(retryAttempts === undefined ? {} : { retryAttempts }),
    ...(maxRecordAgeSeconds === undefined ? {} : { maxRecordAge: Duration.seconds(maxRecordAgeSeconds) }),
  });

describe('the lease fits in the retry schedule', () => {
  it.each<[string, number, number | undefined, number | undefined, string | undefined]>([
    ['the defaults (60 s, 3 retries)', 60, undefined, undefined, undefined],
    ['a 14-minute function with no retry', 840, 0, undefined, 'retryAttempts to at least 1'],
    ['10 s with 2 retries: 3 x 5 s >= 15 s', 10, 2, undefined, undefined],
    ['10 s with 1 retry: 2 x 5 s < 15 s', 10, 1, undefined, 'retryAttempts to at least 2'],
    ['5 s: no time to wait at all', 5, 100, undefined, 'Raise the timeout above 5 s'],
    [
      'a record age shorter than the schedule',
      60,
      3,
      120,
      'maxRecordAge 120 s is shorter than the retry schedule (4 attempts x 60 s + 5 s = 245 s)',
    ],
    ['a record age that covers it', 60, 3, 245, undefined],
  ])('%s', (_name, timeout, retries, age, refusal) => {
    if (refusal === undefined) expect(() => settings(timeout, retries, age)).not.toThrow();
    else {
      expect(() => settings(timeout, retries, age)).toThrow(ConfigurationError);
      expect(() => settings(timeout, retries, age)).toThrow(refusal);
    }
  });

  it('waits at most the function time less a reserve for the handler', () => {
    expect(leaseWaitBudgetSeconds(Duration.seconds(60))).toBe(45);
    expect(leaseWaitBudgetSeconds(Duration.seconds(10))).toBe(5);
  });
});
