// Restore planning with one strategy (design §7): each strategy's targets and provenance,
// validation against the broker's [low, high] (refused, or clamped with --clamp), refusal while the
// group has members, and an unknown topic named at once. A plan never writes.
import { describe, expect, it } from 'vitest';
import { RestoreUsageError } from '#shared/restore/errors.ts';
import { formatPlan } from '#shared/restore/format.ts';
import { planRestore } from '#shared/restore/plan.ts';
import { deps, request, setup, T } from './plan-fixtures.ts';

describe('planRestore with one strategy', () => {
  it('checkpoint: targets the checkpoints, with the committed offsets and deltas, and writes nothing', async () => {
    // Prepare
    const { admin, store, setOffsets } = await setup(
      {
        ranges: [
          [0, 100],
          [0, 80],
        ],
        committed: { 0: 10 },
      },
      { 0: 60, 1: 70 },
    );

    // Act
    const plan = await planRestore(request({}), deps(admin, store));

    // Assess
    expect(plan.rows.map((r) => [r.partition, r.committed, r.target, r.delta, r.source])).toEqual([
      [0, 10, 60, 50, 'checkpoint'],
      [1, null, 70, null, 'checkpoint'],
    ]);
    expect(plan.refusals).toEqual([]);
    expect(setOffsets).not.toHaveBeenCalled();
  });

  it('history --at: takes the last history item at or before T', async () => {
    // Prepare
    const { admin, store } = await setup({ ranges: [[0, 100]] }, { 0: 90 }, { 0: 40 });

    // Act
    const plan = await planRestore(request({ strategy: 'history', at: T }), deps(admin, store));

    // Assess
    expect(plan.rows[0]).toMatchObject({ target: 40, source: 'history' });
    expect(plan.at).toBe(T);
  });

  it('timestamp --at: uses the broker offsets and says when T is before the earliest retained record', async () => {
    // Prepare
    const { admin, store } = await setup({
      ranges: [
        [5, 100],
        [0, 50],
      ],
      byTimestamp: [5, 20],
    });

    // Act
    const plan = await planRestore(request({ strategy: 'timestamp', at: T }), deps(admin, store));

    // Assess
    expect(plan.rows.map((r) => r.target)).toEqual([5, 20]);
    expect(plan.rows[0]?.detail).toMatch(/at or before the earliest retained record/);
    expect(plan.warnings.join('\n')).toMatch(/before the earliest retained record of 1 partition/);
  });

  it('refuses a target outside [low, high], and names the fix', async () => {
    // Prepare
    const { admin, store } = await setup(
      {
        ranges: [
          [50, 100],
          [0, 80],
        ],
      },
      { 0: 10, 1: 90 },
    );

    // Act
    const plan = await planRestore(request({}), deps(admin, store));

    // Assess
    expect(plan.rows.map((r) => [r.target, r.problem])).toEqual([
      [null, 'offset 10 < low 50 (those records were deleted by retention); rerun with --clamp to use 50'],
      [
        null,
        'offset 90 > high 80 (beyond the end of the log: was the topic recreated?); rerun with --clamp to use 80',
      ],
    ]);
    expect(plan.refusals[0]).toMatch(/^2 partition\(s\) have no usable target/);
  });

  it('clamps out-of-range targets with --clamp and shows it', async () => {
    // Prepare
    const { admin, store } = await setup(
      {
        ranges: [
          [50, 100],
          [0, 80],
        ],
      },
      { 0: 10, 1: 90 },
    );

    // Act
    const plan = await planRestore(request({ clamp: true }), deps(admin, store));

    // Assess
    expect(plan.rows.map((r) => [r.proposed, r.target, r.clamped])).toEqual([
      [10, 50, true],
      [90, 80, true],
    ]);
    expect(plan.refusals).toEqual([]);
    expect(formatPlan(plan)).toMatch(/clamped from 10/);
  });

  it('refuses a partition the source has nothing for, with the reason', async () => {
    // Prepare
    const { admin, store } = await setup(
      {
        ranges: [
          [0, 10],
          [0, 10],
        ],
      },
      { 0: 5 },
    );

    // Act
    const plan = await planRestore(request({}), deps(admin, store));

    // Assess
    expect(plan.rows[1]?.problem).toMatch(/no checkpoint item/);
    expect(plan.refusals).toHaveLength(1);
  });

  it('refuses while the group has members and no ESM is named; with an ESM it only warns', async () => {
    // Prepare
    const { admin, store } = await setup({ ranges: [[0, 10]], members: 2 }, { 0: 5 });

    // Act
    const without = await planRestore(request({}), deps(admin, store));
    const withEsm = await planRestore(
      request({ esmUuid: '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88' }),
      deps(admin, store),
    );

    // Assess
    expect(without.refusals).toEqual([
      expect.stringMatching(/2 active member\(s\) \(client-0@\/10.0.0.1, client-1/),
    ]);
    expect(withEsm.refusals).toEqual([]);
    expect(withEsm.warnings).toContain(
      'group has 2 member(s): --execute disables the ESM and waits until it is Empty',
    );
  });
  it('names an unknown topic at once instead of retrying', async () => {
    // Prepare
    const { admin, store } = await setup({ ranges: [[0, 10]] });

    // Act
    const planned = planRestore(request({ topic: 'ordres' }), deps(admin, store));

    // Assess
    await expect(planned).rejects.toThrow(RestoreUsageError);
    await expect(planned).rejects.toThrow(
      'Topic ordres does not exist on these brokers: check --topic and --brokers.',
    );
  });
});
