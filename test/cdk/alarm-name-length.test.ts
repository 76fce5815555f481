// Guarantee: none of G1–G6 directly; proves that the alarms that page on a breach deploy whatever the
// stack name and group ids (CloudWatch refuses alarm names over 255 characters), and stay distinct.
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { GuardedKafkaConsumer } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { alarmName, MAX_ALARM_NAME_LENGTH, OnCall } from '#cdk/constructs/on-call.ts';
import { RestoreFunction } from '#cdk/constructs/restore-function.ts';
import { Watchdog } from '#cdk/constructs/watchdog.ts';
import { consumerDependencies, FIXTURE_CONSUMER_ENTRY, FIXTURE_RESTORE_ENTRY, testApp } from './helpers.ts';

/** The longest stack name CloudFormation accepts (128) and two 200-character group ids sharing 199. */
const LONG_STACK = `S${'x'.repeat(127)}`;
const LONG_GROUPS = [`${'g'.repeat(199)}a`, `${'g'.repeat(199)}b`];

function alarmNames(stackName: string, groups: readonly string[]): string[] {
  const stack = new Stack(testApp(), stackName);
  // Upstash: no consumer security group, whose description would carry the group id too.
  const deps = consumerDependencies(stack, 'upstash');
  const consumers = groups.map(
    (group, i) =>
      new GuardedKafkaConsumer(stack, `Consumer${i}`, {
        entry: FIXTURE_CONSUMER_ENTRY,
        consumerGroupId: group,
        topic: 'orders',
        timeout: Duration.seconds(60),
        ...deps,
      }),
  );
  const restore = new RestoreFunction(stack, 'Restore', {
    entry: FIXTURE_RESTORE_ENTRY,
    cluster: deps.cluster,
    tables: deps.tables,
    consumers,
  });
  const watchdog = new Watchdog(stack, 'Watchdog', {
    entry: FIXTURE_RESTORE_ENTRY,
    cluster: deps.cluster,
    tables: deps.tables,
    consumers,
  });
  new OnCall(stack, 'OnCall', { consumers, restore, watchdog });
  return Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map(
    (r) => (r as { Properties: { AlarmName: string } }).Properties.AlarmName,
  );
}

describe('alarm names', () => {
  it('keeps <stack>-<group>-<kind> when it fits', () => {
    expect(alarmName('Orders', 'orders-v1', 'errors')).toBe('Orders-orders-v1-errors');
    const exact = `${'s'.repeat(128)}-${'g'.repeat(MAX_ALARM_NAME_LENGTH - 128 - 2 - 'errors'.length)}-errors`;
    expect(exact).toHaveLength(MAX_ALARM_NAME_LENGTH);
    expect(alarmName('s'.repeat(128), exact.slice(129, -7), 'errors')).toBe(exact);
  });

  it('fits every alarm of a 128-character stack with 200-character group ids in 255 characters', () => {
    // Act
    const names = alarmNames(LONG_STACK, LONG_GROUPS);

    // Assess
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      expect(name.length, name).toBeLessThanOrEqual(MAX_ALARM_NAME_LENGTH);
      expect(name.startsWith(`${LONG_STACK}-`), name).toBe(true);
    }
    expect(new Set(names).size, 'alarm names are unique').toBe(names.length);
  });

  it('shortens deterministically, keeping the kind at the end', () => {
    // Act
    const once = alarmName(LONG_STACK, LONG_GROUPS[0]!, 'watchdogCheckpointAge');
    const again = alarmName(LONG_STACK, LONG_GROUPS[0]!, 'watchdogCheckpointAge');
    const other = alarmName(LONG_STACK, LONG_GROUPS[1]!, 'watchdogCheckpointAge');

    // Assess
    expect(once).toBe(again);
    expect(once).not.toBe(other);
    expect(once).toMatch(/-g+-[0-9a-f]{8}-watchdogCheckpointAge$/);
    expect(once.length).toBe(MAX_ALARM_NAME_LENGTH);
  });

  it('leaves the names of an ordinary stack unchanged', () => {
    const names = alarmNames('Orders', ['orders-v1']);
    expect(names).toContain('Orders-orders-v1-errors');
    expect(names).toContain('Orders-restore-restoreErrors');
    for (const name of names) expect(name).toMatch(/^Orders-(orders-v1|restore)-[A-Za-z]+$/);
  });
});
