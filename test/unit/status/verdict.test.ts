// Design §11 (`mskguard status` verdict): each rule that makes a group unhealthy, as a table of
// pure inputs; an idle partition with an old checkpoint stays healthy.
import { describe, expect, it } from 'vitest';
import type { EsmStatus, GroupStatus, PartitionStatus } from '#shared/status/types.ts';
import { DEFAULT_THRESHOLDS } from '#shared/status/types.ts';
import { judge } from '#shared/status/verdict.ts';

const MIN = 60_000;
const part = (p: Partial<PartitionStatus> = {}): PartitionStatus => ({
  partition: 0,
  committed: 100,
  checkpoint: 100,
  checkpointAt: '2025-01-01T00:00:00Z',
  checkpointAgeMs: MIN,
  low: 0,
  high: 100,
  lag: 0,
  ...p,
});
const enabled: EsmStatus = {
  uuid: 'u',
  state: 'Enabled',
  stateTransitionReason: 'USER_INITIATED',
  lastProcessingResult: 'OK',
};
function status(
  partitions: PartitionStatus[],
  esm: EsmStatus | null = enabled,
): Omit<GroupStatus, 'verdict'> {
  return {
    group: 'g',
    topic: 't',
    readAt: '2025-01-01T00:00:00Z',
    groupState: 'Empty',
    members: 0,
    partitions,
    totalLag: partitions.reduce((s, p) => s + p.lag, 0),
    quarantined: 0,
    esm,
  };
}

describe('judge', () => {
  it.each([
    ['all caught up', [part()], enabled, 'healthy: ESM Enabled, lag 0, newest checkpoint 1 min old'],
    [
      'idle partition, old checkpoint',
      [part({ checkpointAgeMs: 600 * MIN })],
      enabled,
      'healthy: ESM Enabled, lag 0, newest checkpoint 10.0 h old',
    ],
    [
      'no ESM, no checkpoints',
      [part({ checkpoint: null, checkpointAgeMs: null, lag: 3, committed: 97 })],
      null,
      'healthy: lag 3',
    ],
    [
      'stalled',
      [part({ lag: 52_000, committed: 48_000, high: 100_000, checkpointAgeMs: 20 * MIN })],
      enabled,
      'stalled: checkpoint 20 min old, ESM Enabled, lag 52,000',
    ],
    [
      'lagging',
      [part({ lag: 200_000, high: 200_100 })],
      enabled,
      'lagging: ESM Enabled, lag 200,000 (above 100,000)',
    ],
    [
      'disabled ESM',
      [part()],
      { ...enabled, state: 'Disabled' },
      'esm disabled: ESM Disabled (USER_INITIATED), lag 0',
    ],
    [
      'failing ESM',
      [part()],
      { ...enabled, lastProcessingResult: 'PROBLEM: Lambda failed' },
      'failing: PROBLEM: Lambda failed, lag 0',
    ],
    [
      'offsets lost',
      [part({ committed: null, lag: 100 })],
      enabled,
      'offsets lost: 1 partition(s) have a checkpoint but no committed offset (mskguard restore checkpoint), lag 100',
    ],
    [
      'below log start',
      [part({ committed: 5, low: 10 })],
      enabled,
      'records lost: committed offset below the log start on partition(s) 0',
    ],
  ] as const)('%s', (_name, partitions, esm, text) => {
    // Act
    const verdict = judge(status([...partitions], esm), DEFAULT_THRESHOLDS);

    // Assess
    expect(verdict.text).toBe(text);
    expect(verdict.healthy).toBe(text.startsWith('healthy'));
  });
});
