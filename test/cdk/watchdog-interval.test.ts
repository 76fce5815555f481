// Guarantee: none of G1–G6 directly; proves design §8 "alarms that watch a silent consumer" keep
// working when the Watchdog runs less often than every minute (its `interval` prop): the alarms must
// read one datapoint per run, or the ESM alarm can never fill its periods and the checkpoint-age
// alarm (missing data breaching) pages between every two runs.
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OnCall } from '#cdk/constructs/on-call.ts';
import { Watchdog } from '#cdk/constructs/watchdog.ts';
import { watchdogAlarmSpecs } from '#cdk/watchdog-alarms.ts';
import { consumerDependencies, FIXTURE_RESTORE_ENTRY, ordersConsumer, testStack } from './helpers.ts';

function alarms(interval?: Duration): Record<string, Record<string, unknown>> {
  const stack = testStack();
  const deps = consumerDependencies(stack);
  const consumer = ordersConsumer(stack, {
    ...deps,
  });
  const watchdog = new Watchdog(stack, 'Watchdog', {
    entry: FIXTURE_RESTORE_ENTRY,
    cluster: deps.cluster,
    tables: deps.tables,
    consumers: [consumer],
    ...(interval ? { interval } : {}),
  });
  new OnCall(stack, 'OnCall', { consumers: [consumer], watchdog });
  const template = Template.fromStack(stack);
  const out: Record<string, Record<string, unknown>> = {};
  for (const kind of ['esmNotEnabled', 'watchdogCheckpointAge', 'lagGrowing']) {
    const found = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp(`-${kind}$`) },
      }),
    ) as { Properties: Record<string, unknown> }[];
    expect(found, kind).toHaveLength(1);
    out[kind] = found[0]!.Properties;
  }
  return out;
}

/** The period (s) of a plain alarm or of the one metric of a math alarm. */
function period(alarm: Record<string, unknown>): number {
  if (typeof alarm.Period === 'number') return alarm.Period;
  const metrics = alarm.Metrics as { MetricStat?: { Period: number } }[];
  return metrics.find((m) => m.MetricStat)!.MetricStat!.Period;
}

describe('watchdog alarms follow the watchdog interval', () => {
  it('keep one-minute periods at the default interval', () => {
    const a = alarms();
    expect(period(a.esmNotEnabled!)).toBe(60);
    expect(a.esmNotEnabled!.EvaluationPeriods).toBe(5);
    expect(period(a.watchdogCheckpointAge!)).toBe(60);
    expect(period(a.lagGrowing!)).toBe(300);
  });

  it('read one datapoint per run at a 5-minute interval', () => {
    const a = alarms(Duration.minutes(5));
    // 5 minutes of a stopped mapping = 1 run of the watchdog, not 5 one-minute datapoints it never emits.
    expect(period(a.esmNotEnabled!)).toBe(300);
    expect(a.esmNotEnabled!.EvaluationPeriods).toBe(1);
    expect(a.esmNotEnabled!.DatapointsToAlarm).toBe(1);
    // Missing data is breaching: a one-minute period would be empty 4 minutes out of 5.
    expect(period(a.watchdogCheckpointAge!)).toBe(300);
    expect(a.watchdogCheckpointAge!.TreatMissingData).toBe('breaching');
    expect(period(a.lagGrowing!)).toBe(300);
  });

  it('never judge lag growth over periods shorter than a run', () => {
    const a = alarms(Duration.minutes(10));
    expect(period(a.lagGrowing!)).toBe(600);
    expect(period(a.esmNotEnabled!)).toBe(600);
    expect(a.esmNotEnabled!.EvaluationPeriods).toBe(1);
  });

  it('round the ESM alarm up to whole runs', () => {
    const specs = watchdogAlarmSpecs('g', { esmNotEnabledMinutes: 5 }, Duration.minutes(2));
    const esm = specs.find((s) => s.kind === 'esmNotEnabled')!;
    expect(esm.evaluationPeriods).toBe(3);
  });
});
