import { readAlarms } from './definitions.ts';
import { parseEmf } from './emf.ts';
import { type AlarmOutcome, evaluateAlarms } from './evaluate.ts';

export { type AlarmDefinition, readAlarms } from './definitions.ts';
export { type Datapoint, parseEmf } from './emf.ts';
export { type AlarmOutcome, type EvaluationOptions, evaluateAlarms } from './evaluate.ts';
export { evaluateExpression, parseExpression } from './math.ts';
export { synthesizeLocalTemplate } from './template.ts';

/** The alarms of a local run, as `npm run local` prints them and writes them under `alarms` in --json. */
export interface LocalAlarmReport {
  /** CloudWatch seconds per real second of the run. */
  readonly timeScale: number;
  /** Alarms evaluated over the run's EMF lines. */
  readonly evaluated: number;
  /** Alarms that would have fired, with when (CloudWatch time after the start) and why. */
  readonly fired: readonly {
    readonly name: string;
    readonly kind: string;
    readonly atSeconds: number;
    readonly reason: string;
  }[];
  /** Alarms on metrics the functions do not print as EMF (AWS/Lambda, AWS/SQS), by kind. */
  readonly notEvaluated: readonly string[];
  readonly emfLines: number;
  /** CloudWatch seconds the run covered (real seconds × timeScale). */
  readonly coveredSeconds: number;
}

/**
 * Evaluates the template's alarms over the EMF lines of a run.
 *
 * @example
 * ```ts
 * const report = localAlarmReport(template, session.emf, { timeScale: 60, start, end });
 * ```
 */
export function localAlarmReport(
  template: { Resources?: Record<string, unknown> },
  lines: readonly string[],
  options: { timeScale: number; start: number; end: number },
): LocalAlarmReport {
  const outcomes: AlarmOutcome[] = evaluateAlarms(readAlarms(template), parseEmf(lines), options);
  return {
    timeScale: options.timeScale,
    evaluated: outcomes.filter((o) => o.state !== 'NOT_EVALUATED').length,
    fired: outcomes
      .filter((o) => o.state === 'ALARM')
      .map((o) => ({ name: o.name, kind: o.kind, atSeconds: o.firstAlarmAtSeconds ?? 0, reason: o.reason })),
    notEvaluated: outcomes.filter((o) => o.state === 'NOT_EVALUATED').map((o) => o.kind),
    emfLines: lines.length,
    coveredSeconds: Math.round(((options.end - options.start) / 1000) * options.timeScale),
  };
}

/** Formats the report for the summary table. */
export function formatAlarmReport(report: LocalAlarmReport): string {
  const fired = report.fired.length
    ? report.fired.map(
        (f) => `  FIRED ${f.kind.padEnd(22)} at +${Math.round(f.atSeconds / 60)} min  ${f.reason}`,
      )
    : ['  none fired'];
  return [
    `alarms (${report.evaluated} evaluated over ${report.emfLines} EMF lines covering ${Math.round(report.coveredSeconds / 60)} CloudWatch minutes, 1 s = ${report.timeScale} s):`,
    ...fired,
    `  not evaluated locally (no EMF source): ${report.notEvaluated.join(', ') || '-'}`,
    '',
  ].join('\n');
}
