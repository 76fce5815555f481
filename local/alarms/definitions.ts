import { LocalAlarmError } from './errors.ts';

/** A metric as an alarm names it: namespace, name and the exact dimension set. */
export interface MetricId {
  readonly namespace: string;
  readonly name: string;
  /** Dimension values; a value that is not a literal string (a CloudFormation token) is `null`. */
  readonly dimensions: Readonly<Record<string, string | null>>;
}

/** One metric of an alarm, with its statistic and period. */
export interface MetricStat {
  readonly id: string;
  readonly metric: MetricId;
  /** Sum, Average, Maximum, Minimum, SampleCount or pNN. */
  readonly stat: string;
  readonly periodSeconds: number;
}

/** An alarm of the template, in the terms the evaluator needs. */
export interface AlarmDefinition {
  readonly logicalId: string;
  readonly name: string;
  /** The part of the name after the last `-`: mskguard names alarms `<stack>-<subject>-<kind>`. */
  readonly kind: string;
  /** The metrics it reads (one for a metric alarm, several for metric math). */
  readonly metrics: readonly MetricStat[];
  /** The math expression whose value is compared, or undefined for a metric alarm. */
  readonly expression: string | undefined;
  readonly periodSeconds: number;
  readonly threshold: number;
  readonly comparison: string;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /** breaching, notBreaching, ignore or missing. */
  readonly treatMissingData: string;
}

type Json = Record<string, unknown>;

function literal(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function dimensionsOf(list: unknown): Record<string, string | null> {
  return Object.fromEntries(
    ((list as Json[] | undefined) ?? []).map((d) => [String(d.Name), literal(d.Value)]),
  );
}

function alarmName(logicalId: string, props: Json): string {
  const name = props.AlarmName;
  if (typeof name === 'string') return name;
  // `${stackName}-...` with a token for the stack name: keep the literal parts.
  const join = (name as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (join) return join[1].map((p) => (typeof p === 'string' ? p : '')).join(join[0]);
  return logicalId;
}

/**
 * The CloudWatch alarms of a synthesized CloudFormation template: metric alarms (Namespace,
 * MetricName, Dimensions, Statistic/ExtendedStatistic, Period) and metric-math alarms (Metrics with
 * one expression returning data and MetricStat inputs).
 *
 * @example
 * ```ts
 * const alarms = readAlarms(JSON.parse(readFileSync('cdk.out/MskGuard.template.json', 'utf8')));
 * ```
 */
export function readAlarms(template: { Resources?: Record<string, unknown> }): AlarmDefinition[] {
  const alarms: AlarmDefinition[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const r = resource as { Type?: string; Properties?: Json };
    if (r.Type !== 'AWS::CloudWatch::Alarm' || !r.Properties) continue;
    const p = r.Properties;
    const name = alarmName(logicalId, p);
    const common = {
      logicalId,
      name,
      kind: name.slice(name.lastIndexOf('-') + 1),
      threshold: Number(p.Threshold),
      comparison: String(p.ComparisonOperator),
      evaluationPeriods: Number(p.EvaluationPeriods),
      datapointsToAlarm: Number(p.DatapointsToAlarm ?? p.EvaluationPeriods),
      treatMissingData: String(p.TreatMissingData ?? 'missing'),
    };
    if (p.MetricName !== undefined) {
      const stat = String(p.Statistic ?? p.ExtendedStatistic);
      const periodSeconds = Number(p.Period);
      alarms.push({
        ...common,
        metrics: [
          {
            id: 'm',
            metric: {
              namespace: String(p.Namespace),
              name: String(p.MetricName),
              dimensions: dimensionsOf(p.Dimensions),
            },
            stat,
            periodSeconds,
          },
        ],
        expression: undefined,
        periodSeconds,
      });
      continue;
    }
    const queries = (p.Metrics as Json[] | undefined) ?? [];
    const metrics: MetricStat[] = [];
    let expression: string | undefined;
    let periodSeconds = 0;
    for (const q of queries) {
      if (typeof q.Expression === 'string') {
        if (q.ReturnData !== false) {
          expression = q.Expression;
          periodSeconds = Number(q.Period ?? periodSeconds);
        }
        continue;
      }
      const ms = q.MetricStat as Json;
      const m = ms.Metric as Json;
      metrics.push({
        id: String(q.Id),
        metric: {
          namespace: String(m.Namespace),
          name: String(m.MetricName),
          dimensions: dimensionsOf(m.Dimensions),
        },
        stat: String(ms.Stat),
        periodSeconds: Number(ms.Period),
      });
    }
    if (!expression)
      throw new LocalAlarmError(`Alarm ${name}: metric math without an expression returning data.`);
    alarms.push({
      ...common,
      metrics,
      expression,
      periodSeconds: periodSeconds || (metrics[0]?.periodSeconds ?? 60),
    });
  }
  return alarms;
}
