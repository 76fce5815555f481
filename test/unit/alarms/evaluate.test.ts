// Guarantee: none of G1–G6 directly; proves the local alarm evaluator (design §8: alarms proven against
// the metrics the code emits) reads CloudWatch alarm definitions and EMF lines the way CloudWatch does:
// exact dimension sets, statistics per period, metric math, datapoints to alarm, missing-data rules.
import { describe, expect, it } from 'vitest';
import type { AlarmDefinition } from '#local/alarms/definitions.ts';
import { readAlarms } from '#local/alarms/definitions.ts';
import { parseEmf } from '#local/alarms/emf.ts';
import { evaluateAlarms } from '#local/alarms/evaluate.ts';
import { evaluateExpression, parseExpression } from '#local/alarms/math.ts';

const T0 = Date.parse('2026-12-04T00:00:00Z');
const DIMS = { service: 'mskguard', consumerGroup: 'g' };

/** One EMF line as Powertools prints it. */
function emf(
  atSeconds: number,
  metrics: Record<string, number>,
  dims: Record<string, string> = DIMS,
  unit = 'Count',
) {
  return JSON.stringify({
    _aws: {
      Timestamp: T0 + atSeconds * 1000,
      CloudWatchMetrics: [
        {
          Namespace: 'MskGuard',
          Dimensions: [Object.keys(dims)],
          Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: unit })),
        },
      ],
    },
    ...dims,
    ...metrics,
  });
}

function metricAlarm(
  overrides: Partial<AlarmDefinition> & { metric?: string; stat?: string } = {},
): AlarmDefinition {
  const period = overrides.periodSeconds ?? 60;
  return {
    logicalId: 'A',
    name: 'Stack-g-test',
    kind: 'test',
    metrics: [
      {
        id: 'm',
        metric: { namespace: 'MskGuard', name: overrides.metric ?? 'DegradedInvocation', dimensions: DIMS },
        stat: overrides.stat ?? 'Sum',
        periodSeconds: period,
      },
    ],
    expression: undefined,
    periodSeconds: period,
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'notBreaching',
    ...overrides,
  };
}

describe('readAlarms', () => {
  it('reads metric alarms and metric-math alarms from a template', () => {
    // Prepare
    const template = {
      Resources: {
        A: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: 'S-g-degradedMode',
            Namespace: 'MskGuard',
            MetricName: 'DegradedInvocation',
            Dimensions: [
              { Name: 'service', Value: 'mskguard' },
              { Name: 'consumerGroup', Value: 'g' },
            ],
            Statistic: 'Sum',
            Period: 300,
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            EvaluationPeriods: 1,
            TreatMissingData: 'notBreaching',
          },
        },
        B: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: 'S-g-lagGrowing',
            Metrics: [
              { Id: 'expr_1', Expression: 'IF(lag > 1000 AND DIFF(lag) > 0, 1, 0)', Period: 300 },
              {
                Id: 'lag',
                ReturnData: false,
                MetricStat: {
                  Metric: { Namespace: 'MskGuard', MetricName: 'GroupLag', Dimensions: [] },
                  Period: 300,
                  Stat: 'Maximum',
                },
              },
            ],
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            EvaluationPeriods: 3,
            DatapointsToAlarm: 3,
          },
        },
        C: { Type: 'AWS::SNS::Topic', Properties: {} },
      },
    };

    // Act
    const [a, b] = readAlarms(template);

    // Assess
    expect(a).toMatchObject({
      kind: 'degradedMode',
      periodSeconds: 300,
      datapointsToAlarm: 1,
      expression: undefined,
    });
    expect(b).toMatchObject({
      kind: 'lagGrowing',
      expression: 'IF(lag > 1000 AND DIFF(lag) > 0, 1, 0)',
      treatMissingData: 'missing',
    });
    expect(b?.metrics[0]).toMatchObject({ id: 'lag', stat: 'Maximum', periodSeconds: 300 });
  });
});

describe('parseEmf', () => {
  it('reads each metric once per dimension set, arrays as several values, and skips ordinary lines', () => {
    // Act
    const points = parseEmf([
      emf(0, { RecordsIn: 5 }),
      'not json',
      '{"level":"INFO"}',
      emf(1, { Lag: [1, 2] } as never),
    ]);

    // Assess
    expect(points.map((p) => [p.name, p.value])).toEqual([
      ['RecordsIn', 5],
      ['Lag', 1],
      ['Lag', 2],
    ]);
    expect(points[0]?.dimensions).toEqual(DIMS);
  });
});

describe('metric math', () => {
  it.each([
    ['IF(a >= 2, 100 * (FILL(b, 0) + c) / a, 0)', [4, 1, 4], [undefined, 1, 1], [1, 1, 1], [25, 0, 50]],
    ['IF(a > 1 AND DIFF(a) > 0, 1, 0)', [1, 2, 3], [0, 0, 0], [0, 0, 0], [undefined, 1, 1]],
    ['a - -b', [1, undefined, 3], [1, 1, 1], [0, 0, 0], [2, undefined, 4]],
  ])('%s', (expression, a, b, c, expected) => {
    // Act
    const out = evaluateExpression(
      parseExpression(expression),
      new Map([
        ['a', a],
        ['b', b],
        ['c', c],
      ]),
      3,
    );

    // Assess
    expect(out).toEqual(expected);
  });
});

describe('evaluateAlarms', () => {
  it('fires on a datapoint of the exact dimension set only', () => {
    // Prepare
    const other = { ...DIMS, consumerGroup: 'other' };
    const points = parseEmf([emf(10, { DegradedInvocation: 1 }, other), emf(70, { RecordsIn: 1 })]);

    // Act
    const [outcome] = evaluateAlarms([metricAlarm()], points, { start: T0 });

    // Assess
    expect(outcome?.state).toBe('OK');
  });

  it('needs datapointsToAlarm breaching periods within evaluationPeriods', () => {
    // Prepare: breaching in minutes 0, 2, 3 of 4.
    const points = parseEmf(
      [0, 130, 190, 250].map((s, i) => emf(s, { DegradedInvocation: i === 3 ? 0 : 1 })),
    );
    const alarm = (m: number, n: number) => metricAlarm({ evaluationPeriods: n, datapointsToAlarm: m });

    // Act
    const [twoOfThree, threeOfThree] = evaluateAlarms([alarm(2, 3), alarm(3, 3)], points, { start: T0 });

    // Assess
    expect(twoOfThree).toMatchObject({ state: 'ALARM', firstAlarmAtSeconds: 180 });
    expect(threeOfThree?.state).toBe('OK');
  });

  it('counts missing periods as the alarm says: breaching fires on silence, notBreaching does not', () => {
    // Prepare: a datapoint at the start and one 5 minutes later, nothing between.
    const points = parseEmf([emf(0, { DegradedInvocation: 0 }), emf(300, { DegradedInvocation: 0 })]);
    const silence = (rule: string) =>
      metricAlarm({ evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: rule });

    // Act
    const [breaching, notBreaching] = evaluateAlarms(
      [silence('breaching'), silence('notBreaching')],
      points,
      { start: T0 },
    );

    // Assess
    expect(breaching).toMatchObject({ state: 'ALARM', firstAlarmAtSeconds: 240 });
    expect(notBreaching?.state).toBe('OK');
  });

  it('stretches time and Seconds values by the time scale, and leaves AWS/Lambda alarms unevaluated', () => {
    // Prepare: 20 real seconds of a 20 s-old checkpoint = 20 minutes of a 1,200 s-old one.
    const lines = Array.from({ length: 20 }, (_, s) =>
      emf(s, { WatchdogCheckpointAgeSeconds: 20 }, DIMS, 'Seconds'),
    );
    const age = metricAlarm({
      metric: 'WatchdogCheckpointAgeSeconds',
      stat: 'Maximum',
      threshold: 900,
      comparison: 'GreaterThanThreshold',
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    const lambda: AlarmDefinition = {
      ...metricAlarm(),
      kind: 'errors',
      metrics: [
        {
          id: 'm',
          metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: { FunctionName: null } },
          stat: 'Sum',
          periodSeconds: 60,
        },
      ],
    };

    // Act
    const [scaled, unscaled, foreign] = [
      ...evaluateAlarms([age], parseEmf(lines), { start: T0, timeScale: 60 }),
      ...evaluateAlarms([age, lambda], parseEmf(lines), { start: T0 }),
    ];

    // Assess
    expect(scaled).toMatchObject({ state: 'ALARM', firstAlarmAtSeconds: 180 });
    expect(unscaled?.state).toBe('OK');
    expect(foreign?.state).toBe('NOT_EVALUATED');
  });
});
