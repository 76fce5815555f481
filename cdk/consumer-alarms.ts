import { Duration } from 'aws-cdk-lib';
import {
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  type TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { GuardedKafkaConsumer } from './constructs/guarded-kafka-consumer.ts';
import { DUPLICATE_TIERS, MSKGUARD_METRICS, mskGuardMetric } from './metrics.ts';
import { droppedSpec, onFailureSpec } from './on-failure-alarm.ts';

/**
 * Every alarm kind with its runbook (docs/runbooks/<file>). The alarm description names the file;
 * tests check each file exists.
 */
export const ALARM_RUNBOOKS = {
  errors: 'consumer-errors.md',
  throttles: 'consumer-throttles.md',
  duration: 'consumer-duration.md',
  offsetLag: 'offset-lag.md',
  duplicateRate: 'duplicate-rate.md',
  cacheErrors: 'cache-errors.md',
  degradedMode: 'degraded-mode.md',
  checkpointAge: 'checkpoint-age.md',
  quarantineGrowth: 'quarantine-growth.md',
  onFailureMessages: 'on-failure-destination.md',
  onFailureDropped: 'on-failure-dropped.md',
  restoreErrors: 'restore-errors.md',
  esmNotEnabled: 'esm-not-enabled.md',
  watchdogCheckpointAge: 'watchdog-checkpoint-age.md',
  lagGrowing: 'lag-growing.md',
} as const;

/** One alarm kind. */
export type AlarmKind = keyof typeof ALARM_RUNBOOKS;

/** Thresholds of the per-consumer alarms; each default is explained in the alarm description. */
export interface ConsumerAlarmThresholds {
  /** Function errors in each of 3 consecutive minutes. @default 1 */
  readonly errorsPerMinute?: number;
  /** Throttles in at least 3 of 5 consecutive minutes. @default 1 */
  readonly throttlesPerMinute?: number;
  /** p99 duration over 2 × 5 minutes, as a fraction of the timeout. @default 0.8 */
  readonly durationFractionOfTimeout?: number;
  /** Maximum OffsetLag (records) over 3 × 5 minutes. @default 10000 */
  readonly offsetLagRecords?: number;
  /** Percentage of RecordsIn withheld as duplicates, over 2 × 5 minutes. @default 20 */
  readonly duplicateRatePercent?: number;
  /** RecordsIn per 5 minutes below which the duplicate rate is not judged. @default 100 */
  readonly duplicateRateMinRecords?: number;
  /** CacheError per 5 minutes. @default 5 */
  readonly cacheErrorsPer5Minutes?: number;
  /** DegradedInvocation per 5 minutes. @default 1 */
  readonly degradedInvocationsPer5Minutes?: number;
  /** Maximum CheckpointAgeSeconds over 3 × 5 minutes. @default 900 */
  readonly checkpointAgeSeconds?: number;
  /** Quarantined records per hour. @default 10 */
  readonly quarantinedPerHour?: number;
  /**
   * Messages waiting in (SQS) or published to (SNS) the on-failure destination, or records the
   * mapping sent to an S3 destination, per 5 minutes. Records it failed to deliver page through the
   * `onFailureDropped` alarm, at any record. @default 1
   */
  readonly onFailureMessages?: number;
}

/** Everything needed to create one CloudWatch alarm. */
export interface AlarmSpec {
  readonly kind: AlarmKind;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /** What the alarm means and why the threshold, without the runbook line. */
  readonly explanation: string;
  /** @default TreatMissingData.NOT_BREACHING (a quiet topic emits nothing and is no incident) */
  readonly treatMissingData?: TreatMissingData;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
const GTE = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
const GT = ComparisonOperator.GREATER_THAN_THRESHOLD;

/** The alarm specs of one guarded consumer. */
export function consumerAlarmSpecs(
  consumer: GuardedKafkaConsumer,
  t: ConsumerAlarmThresholds = {},
): AlarmSpec[] {
  const fn = consumer.function;
  const group = consumer.consumerGroupId;
  const timeoutMs = consumer.timeout.toMilliseconds();
  const fraction = t.durationFractionOfTimeout ?? 0.8;
  const specs: AlarmSpec[] = [
    {
      kind: 'errors',
      metric: fn.metricErrors({ period: ONE_MINUTE, statistic: 'Sum' }),
      threshold: t.errorsPerMinute ?? 1,
      comparisonOperator: GTE,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      explanation:
        `Invocations of ${group} fail (handler threw or timed out) in each of 3 consecutive minutes. Threshold: a ` +
        'failure every minute for 3 minutes means every retry fails too, so a partition is stuck; isolated failures ' +
        'are absorbed by the bounded retries and show up in the on-failure alarm instead.',
    },
    {
      kind: 'throttles',
      metric: fn.metricThrottles({ period: ONE_MINUTE, statistic: 'Sum' }),
      threshold: t.throttlesPerMinute ?? 1,
      comparisonOperator: GTE,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      explanation:
        `Invocations of ${group} are throttled in 3 of 5 minutes. Threshold: occasional throttles during scale-out ` +
        'are normal; sustained throttling makes the ESM back off and the offset lag grow.',
    },
    {
      kind: 'duration',
      metric: fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' }),
      threshold: Math.round(timeoutMs * fraction),
      comparisonOperator: GT,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      explanation:
        `p99 duration of ${group} is above ${Math.round(fraction * 100)}% of its ${timeoutMs} ms timeout for 10 ` +
        'minutes. Threshold: past this point a slower dependency turns into timeouts, whole-batch retries and ' +
        'released leases; act before the timeout is reached.',
    },
    {
      kind: 'offsetLag',
      metric: new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'OffsetLag',
        dimensionsMap: { FunctionName: fn.functionName },
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      }),
      threshold: t.offsetLagRecords ?? 10_000,
      comparisonOperator: GT,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      explanation:
        `The ESM of ${group} is more than ${t.offsetLagRecords ?? 10_000} records behind its topic for 15 minutes ` +
        '(AWS/Lambda OffsetLag, Maximum). Threshold: sustained lag, not a burst the provisioned pollers absorb; ' +
        'lag that keeps growing risks records expiring from the topic before they are processed.',
    },
    duplicateRate(consumer, t),
    {
      kind: 'cacheErrors',
      metric: mskGuardMetric(MSKGUARD_METRICS.CACHE_ERROR, group, { statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: t.cacheErrorsPer5Minutes ?? 5,
      comparisonOperator: GTE,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      explanation:
        `The dedup cache of ${group} answered with errors or timed out (MskGuard CacheError). Threshold: a few ` +
        'transient errors are retried; 5 in 5 minutes means the exact tier is unreliable and the consumer fails or ' +
        'degrades depending on onCacheUnavailable.',
    },
    {
      kind: 'degradedMode',
      metric: mskGuardMetric(MSKGUARD_METRICS.DEGRADED_INVOCATION, group, {
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      threshold: t.degradedInvocationsPer5Minutes ?? 1,
      comparisonOperator: GTE,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      explanation:
        `${group} processed a batch without the exact tier (onCacheUnavailable: degrade), relying on the watermark ` +
        'and the in-container filter only. Threshold: any degraded invocation, because duplicates across ' +
        'containers are no longer excluded (G1 is weakened) while it lasts.',
    },
    {
      kind: 'checkpointAge',
      metric: mskGuardMetric(MSKGUARD_METRICS.CHECKPOINT_AGE_SECONDS, group, {
        statistic: 'Maximum',
        period: FIVE_MINUTES,
      }),
      threshold: t.checkpointAgeSeconds ?? 900,
      comparisonOperator: GT,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      explanation:
        `Checkpoints of ${group} read at invocation start are older than ${t.checkpointAgeSeconds ?? 900} s in 3 ` +
        'consecutive 5-minute periods. Threshold: a quiet partition produces one old reading and then a fresh ' +
        'checkpoint; three periods in a row mean checkpoints are not being written while records flow.',
    },
    {
      kind: 'quarantineGrowth',
      metric: mskGuardMetric(MSKGUARD_METRICS.QUARANTINED, group, {
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      threshold: t.quarantinedPerHour ?? 10,
      comparisonOperator: GTE,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      explanation:
        `${t.quarantinedPerHour ?? 10} or more records of ${group} were quarantined within an hour. Threshold: ` +
        'quarantine holds records the handler never saw (probabilistic mode: Bloom hits the exact tier could not ' +
        'confirm); a few are expected, a steady stream means a false-positive spike or a producer resending old records.',
    },
  ];
  const onFailure = onFailureSpec(consumer, t.onFailureMessages ?? 1);
  if (onFailure) specs.push(onFailure);
  specs.push(droppedSpec(consumer));
  return specs;
}

function duplicateRate(consumer: GuardedKafkaConsumer, t: ConsumerAlarmThresholds): AlarmSpec {
  const group = consumer.consumerGroupId;
  const sum = { statistic: 'Sum', period: FIVE_MINUTES } as const;
  const minRecords = t.duplicateRateMinRecords ?? 100;
  const percent = t.duplicateRatePercent ?? 20;
  // Metric-math ids must start with a lowercase letter; one per tier of DuplicateWithheld.
  const tiers = [
    { id: 'w', tier: DUPLICATE_TIERS.WATERMARK },
    { id: 'bt', tier: DUPLICATE_TIERS.BATCH },
    { id: 'e', tier: DUPLICATE_TIERS.EXACT },
    { id: 'b', tier: DUPLICATE_TIERS.BLOOM_LOCAL },
  ];
  return {
    kind: 'duplicateRate',
    metric: new MathExpression({
      expression: `IF(recordsIn >= ${minRecords}, 100 * (${tiers.map((t) => `FILL(${t.id}, 0)`).join(' + ')}) / recordsIn, 0)`,
      usingMetrics: {
        recordsIn: mskGuardMetric(MSKGUARD_METRICS.RECORDS_IN, group, sum),
        ...Object.fromEntries(
          tiers.map((t) => [
            t.id,
            mskGuardMetric(MSKGUARD_METRICS.DUPLICATE_WITHHELD, group, { ...sum, tier: t.tier }),
          ]),
        ),
      },
      period: FIVE_MINUTES,
      label: 'duplicate withheld %',
    }),
    threshold: percent,
    comparisonOperator: GT,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    explanation:
      `More than ${percent}% of the records of ${group} were withheld as duplicates for 10 minutes (judged only ` +
      `above ${minRecords} records per 5 minutes). Threshold: steady redelivery is a few percent; a spike means a ` +
      'retry storm, a rebalance loop, a restore in recover mode or a producer resending.',
  };
}
