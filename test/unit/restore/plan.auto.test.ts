// Restore planning with auto (design §7): per partition the first in-range source of checkpoint,
// history, consumer-offsets and timestamp, with every verdict explained; __consumer_offsets is
// scanned only when needed, and a failing source does not stop the others.
import { describe, expect, it } from 'vitest';
import { formatPlan } from '#shared/restore/format.ts';
import { planRestore } from '#shared/restore/plan.ts';
import { deps, fakeReader, request, setup, T } from './plan-fixtures.ts';

describe('planRestore with auto', () => {
  it('picks per partition the first in-range source and explains every verdict', async () => {
    // Prepare: p0 checkpoint ok; p1 checkpoint below low → history; p2 only a commit; p3 only time.
    const { admin, store } = await setup(
      {
        ranges: [
          [0, 100],
          [30, 100],
          [0, 100],
          [0, 100],
        ],
        byTimestamp: [1, 2, 3, 44],
      },
      { 0: 60, 1: 10 },
      { 1: 35 },
    );
    const reader = fakeReader({ 2: 77 });

    // Act
    const plan = await planRestore(request({ strategy: 'auto', at: T }), deps(admin, store, reader));

    // Assess
    expect(plan.rows.map((r) => [r.target, r.source])).toEqual([
      [60, 'checkpoint'],
      [35, 'history'],
      [77, 'consumer-offsets'],
      [44, 'timestamp'],
    ]);
    const p1 = plan.considered.filter((c) => c.partition === 1).map((c) => [c.source, c.verdict]);
    expect(p1).toEqual([
      ['checkpoint', 'rejected'],
      ['history', 'chosen'],
    ]);
    expect(plan.considered.find((c) => c.partition === 1 && c.source === 'checkpoint')?.reason).toMatch(
      /offset 10 < low 30/,
    );
    expect(formatPlan(plan)).toMatch(
      /partition\(s\) 3: checkpoint rejected \(no checkpoint item.*\); history rejected.*consumer-offsets rejected.*timestamp chosen/,
    );
  });

  it('does not scan __consumer_offsets when the checkpoints cover every partition', async () => {
    // Prepare
    const { admin, store } = await setup(
      {
        ranges: [
          [0, 100],
          [0, 100],
        ],
      },
      { 0: 1, 1: 2 },
    );
    const reader = fakeReader({});

    // Act
    const plan = await planRestore(request({ strategy: 'auto', at: T }), deps(admin, store, reader));

    // Assess
    expect(reader.calls).toBe(0);
    expect(plan.warnings).toContain(
      'consumer-offsets: not consulted (every partition already has an in-range target)',
    );
  });

  it('keeps going when a source fails, and without --at skips history and timestamp', async () => {
    // Prepare
    const { admin, store } = await setup({ ranges: [[0, 100]] });
    const reader = fakeReader({}, new Error('scan timed out'));

    // Act
    const plan = await planRestore(request({ strategy: 'auto' }), deps(admin, store, reader));

    // Assess
    expect(plan.considered.map((c) => [c.source, c.reason])).toEqual([
      ['checkpoint', expect.stringMatching(/no checkpoint item/)],
      ['history', 'needs --at (without it, history is the current checkpoint)'],
      ['consumer-offsets', 'source unavailable: scan timed out'],
      ['timestamp', 'needs --at (at "now" it would skip every record not yet processed)'],
    ]);
    expect(plan.refusals[0]).toMatch(/1 partition\(s\) have no usable target/);
  });
});
