import type { AlarmDefinition, MetricStat } from './definitions.ts';
import type { Datapoint } from './emf.ts';
import { evaluateExpression, parseExpression, type Series } from './math.ts';

/** What one alarm would have done over the datapoints. */
export interface AlarmOutcome {
  readonly name: string;
  readonly kind: string;
  /** ALARM: it would have fired; OK: evaluated and never fired; NOT_EVALUATED: no EMF source for its metrics. */
  readonly state: 'ALARM' | 'OK' | 'NOT_EVALUATED';
  /** CloudWatch seconds after the start when it first went into ALARM. */
  readonly firstAlarmAtSeconds?: number;
  readonly reason: string;
}

/** Options of {@link evaluateAlarms}. */
export interface EvaluationOptions {
  /**
   * CloudWatch seconds per real second: the local run compresses time (60 = one real second is one
   * CloudWatch minute). Timestamps are stretched by it, and so are values whose EMF unit is Seconds,
   * which measure the same compressed time. @default 1
   */
  readonly timeScale?: number;
  /** Epoch ms where the timeline starts. @default the first datapoint */
  readonly start?: number;
  /** Epoch ms where the timeline ends. @default the last datapoint */
  readonly end?: number;
}

const COMPARE: Record<string, (v: number, t: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

function aggregate(stat: string, values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (stat === 'Maximum') return Math.max(...values);
  if (stat === 'Minimum') return Math.min(...values);
  if (stat === 'Average') return values.reduce((a, b) => a + b, 0) / values.length;
  if (stat === 'SampleCount') return values.length;
  const p = /^p(\d+(?:\.\d+)?)$/.exec(stat);
  if (p) {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[
      Math.min(sorted.length - 1, Math.max(0, Math.ceil((Number(p[1]) / 100) * sorted.length) - 1))
    ];
  }
  return undefined;
}

function sameDimensions(
  a: Readonly<Record<string, string | null>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * Evaluates alarm definitions over datapoints the way CloudWatch does: per period the statistic of
 * the datapoints whose namespace, name and exact dimension set match; metric math period by period;
 * then every window of `evaluationPeriods` periods, with missing periods counted as the alarm's
 * TreatMissingData says, goes into ALARM when at least `datapointsToAlarm` of them breach. Periods are
 * aligned to the start of the timeline. Alarms on metrics no EMF line carries (AWS/Lambda, AWS/SQS)
 * are NOT_EVALUATED.
 *
 * @example
 * ```ts
 * const outcomes = evaluateAlarms(readAlarms(template), parseEmf(lines), { timeScale: 60 });
 * ```
 */
export function evaluateAlarms(
  alarms: readonly AlarmDefinition[],
  points: readonly Datapoint[],
  options: EvaluationOptions = {},
): AlarmOutcome[] {
  const scale = options.timeScale ?? 1;
  const start = options.start ?? Math.min(...points.map((p) => p.timestamp));
  const end = options.end ?? Math.max(...points.map((p) => p.timestamp));
  const virtual = (t: number) => ((t - start) / 1000) * scale;
  const namespaces = new Set(points.map((p) => p.namespace));
  return alarms.map((alarm) => {
    const base = { name: alarm.name, kind: alarm.kind };
    const foreign = alarm.metrics.find(
      (m) => !namespaces.has(m.metric.namespace) || Object.values(m.metric.dimensions).includes(null),
    );
    if (foreign || points.length === 0) {
      return {
        ...base,
        state: 'NOT_EVALUATED' as const,
        reason: `${foreign?.metric.namespace ?? 'no'} metrics are not printed as EMF by the functions`,
      };
    }
    const length = Math.max(1, Math.ceil(virtual(end) / alarm.periodSeconds + 1e-9));
    const seriesOf = (m: MetricStat): Series => {
      const buckets: number[][] = Array.from({ length }, () => []);
      for (const p of points) {
        if (p.namespace !== m.metric.namespace || p.name !== m.metric.name) continue;
        if (!sameDimensions(m.metric.dimensions, p.dimensions)) continue;
        const index = Math.floor(virtual(p.timestamp) / m.periodSeconds);
        if (index < 0 || index >= length) continue;
        buckets[index]!.push(p.unit === 'Seconds' ? p.value * scale : p.value);
      }
      return buckets.map((values) => aggregate(m.stat, values));
    };
    const inputs = new Map(alarm.metrics.map((m) => [m.id, seriesOf(m)]));
    const values = alarm.expression
      ? evaluateExpression(parseExpression(alarm.expression), inputs, length)
      : inputs.get('m')!;
    const compare = COMPARE[alarm.comparison]!;
    const n = alarm.evaluationPeriods;
    for (let last = n - 1; last < length; last++) {
      const window = values.slice(last - n + 1, last + 1);
      if (alarm.treatMissingData !== 'breaching' && window.every((v) => v === undefined)) continue;
      const breaching = window.filter((v) =>
        v === undefined ? alarm.treatMissingData === 'breaching' : compare(v, alarm.threshold),
      ).length;
      if (breaching >= alarm.datapointsToAlarm) {
        return {
          ...base,
          state: 'ALARM' as const,
          firstAlarmAtSeconds: (last + 1) * alarm.periodSeconds,
          reason: `${breaching} of ${n} periods breaching (values ${window.map((v) => (v === undefined ? '-' : +v.toFixed(2))).join(', ')}; threshold ${alarm.comparison} ${alarm.threshold})`,
        };
      }
    }
    return {
      ...base,
      state: 'OK' as const,
      reason: `never ${alarm.datapointsToAlarm} of ${n} periods breaching`,
    };
  });
}
