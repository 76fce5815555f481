import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { WATCHDOG_METRICS as W } from '../shared/observability/metric-names.ts';
import type { AlarmSpec } from './consumer-alarms.ts';
import { mskGuardMetric } from './metrics.ts';

/** Thresholds of the watchdog's alarms; each default is explained in the alarm description. */
export interface WatchdogAlarmThresholds {
  /** Consecutive minutes the ESM may be not Enabled (without a restore) before paging. @default 5 */
  readonly esmNotEnabledMinutes?: number;
  /**
   * Seconds a checkpoint may be stale while records wait beyond it (without a checkpoint: seconds
   * since the mapping last changed). @default 900
   */
  readonly checkpointAgeSeconds?: number;
  /** Consecutive 5-minute periods of growing lag before paging. @default 3 */
  readonly lagGrowingPeriods?: number;
  /** Lag (records) below which growth is not judged. @default 1000 */
  readonly lagGrowingMinRecords?: number;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The alarms on the watchdog's metrics for one consumer group: they watch from outside the
 * consumer, so they fire when it stopped invoking (docs/decisions/0013-watchdog-and-alarm-proofs.md).
 *
 * `interval` is how often the watchdog runs ({@link Watchdog.interval}): it emits one datapoint per
 * run, so each period is one run. With one-minute periods and a slower watchdog, the ESM alarm could
 * never see its N datapoints in N minutes (silent), and the checkpoint-age alarm, whose missing data
 * is breaching, would page between every two runs.
 */
export function watchdogAlarmSpecs(
  group: string,
  t: WatchdogAlarmThresholds = {},
  interval: Duration = Duration.minutes(1),
): AlarmSpec[] {
  const minutes = t.esmNotEnabledMinutes ?? 5;
  const age = t.checkpointAgeSeconds ?? 900;
  const periods = t.lagGrowingPeriods ?? 3;
  const minLag = t.lagGrowingMinRecords ?? 1000;
  const run = interval;
  const runMinutes = run.toMinutes();
  // Whole runs covering the threshold: a 5-minute threshold at a 2-minute interval is 3 runs.
  const esmRuns = Math.max(1, Math.ceil(minutes / runMinutes));
  // Growth is judged over 5 minutes, or over a run when runs are further apart (DIFF needs a datapoint per period).
  const lagPeriod = run.toSeconds() > FIVE_MINUTES.toSeconds() ? run : FIVE_MINUTES;
  const every = runMinutes === 1 ? 'minute' : `${runMinutes} minutes`;
  return [
    {
      kind: 'esmNotEnabled',
      metric: mskGuardMetric(W.ESM_NOT_ENABLED, group, { statistic: 'Maximum', period: run }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: esmRuns,
      datapointsToAlarm: esmRuns,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      explanation:
        `The event source mapping of ${group} has not been Enabled for ${esmRuns * runMinutes} minutes (${esmRuns} ` +
        `watchdog runs, one every ${every}; Disabled, failed, being ` +
        'updated, or deleted) and the audit table shows no restore of the group running. Threshold: a restore ' +
        'disables the mapping on purpose and is excluded; anything else this long means nothing polls the topic. ' +
        'Missing data is not breaching here: a silent watchdog pages through the watchdog checkpoint-age alarm.',
    },
    {
      kind: 'watchdogCheckpointAge',
      metric: mskGuardMetric(W.CHECKPOINT_AGE_BEHIND_SECONDS, group, {
        statistic: 'Maximum',
        period: run,
      }),
      threshold: age,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: TreatMissingData.BREACHING,
      explanation:
        // A consumer that never checkpointed pages too, aged from the mapping's LastModified (decision 0024):
        // the reader must not dismiss the page because the checkpoints table has no item.
        `Records of ${group} wait beyond a checkpoint older than ${age} s, or none since the mapping last changed, ` +
        `measured by the watchdog in 3 consecutive runs (one every ${every}). Threshold: a quiet ` +
        'partition whose checkpoint is at its end never counts, nor one with nothing to read; a partition with ' +
        'records whose checkpoint has not moved for this long, or that has written none for this long, is stuck. ' +
        'Missing data is breaching: it means the watchdog did not run or could not read the broker or the table, ' +
        'and then nobody watches the consumer.',
    },
    {
      kind: 'lagGrowing',
      metric: new MathExpression({
        expression: `IF(lag > ${minLag} AND DIFF(lag) > 0, 1, 0)`,
        usingMetrics: {
          lag: mskGuardMetric(W.GROUP_LAG, group, { statistic: 'Maximum', period: lagPeriod }),
        },
        period: lagPeriod,
        label: 'lag above minimum and growing',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      explanation:
        `The lag of ${group} (end offsets minus committed offsets, measured by the watchdog on the broker) is above ` +
        `${minLag} records and grew in each of ${periods} consecutive ${lagPeriod.toMinutes()}-minute periods. ` +
        'Threshold: a burst the ' +
        'pollers absorb stops growing within a period or two; growth this long means the consumer is slower than ' +
        'the producers or stopped, and records will eventually expire from the topic.',
    },
  ];
}
