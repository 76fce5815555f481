// G6 (bad input gets a clear, typed error): `--at` and restore requests are validated before
// anything is read or changed; clock skew within 5 minutes is tolerated, further ahead refused.
import { describe, expect, it } from 'vitest';
import { RestoreRefusedError, RestoreUsageError } from '#shared/restore/errors.ts';
import { parseRestoreRequest } from '#shared/restore/request.ts';
import { FUTURE_SKEW_TOLERANCE_MS, formatDuration, resolveAt } from '#shared/restore/time.ts';

const now = new Date('2025-03-01T12:00:00.000Z');

describe('resolveAt', () => {
  it.each([
    ['-2h', '2025-03-01T10:00:00.000Z'],
    ['2h', '2025-03-01T10:00:00.000Z'],
    ['-30m', '2025-03-01T11:30:00.000Z'],
    ['-45s', '2025-03-01T11:59:15.000Z'],
    ['-1d', '2025-02-28T12:00:00.000Z'],
    ['-1.5h', '2025-03-01T10:30:00.000Z'],
    ['2025-03-01T09:15:00Z', '2025-03-01T09:15:00.000Z'],
    ['2025-03-01T09:15:00+01:00', '2025-03-01T08:15:00.000Z'],
    ['2025-03-01T09:15', '2025-03-01T09:15:00.000Z'],
    ['2025-03-01 09:15:30.250', '2025-03-01T09:15:30.250Z'],
    ['2025-02-01', '2025-02-01T00:00:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    // Act
    const resolved = resolveAt(input, now);

    // Assess
    expect(resolved).toEqual({ at: new Date(expected), warning: null });
  });

  it('takes a time slightly in the future for clock skew: now, with a warning', () => {
    // Prepare
    const ahead = new Date(now.getTime() + 90_000).toISOString();

    // Act
    const resolved = resolveAt(ahead, now);

    // Assess
    expect(resolved.at).toEqual(now);
    expect(resolved.warning).toMatch(/1\.5s|1m 30s/);
    expect(resolved.warning).toMatch(/clock skew\?\): using now/);
  });

  it('refuses a time further in the future than the tolerance', () => {
    // Prepare
    const ahead = new Date(now.getTime() + FUTURE_SKEW_TOLERANCE_MS + 1000).toISOString();

    // Act
    const act = () => resolveAt(ahead, now);

    // Assess
    expect(act).toThrow(RestoreRefusedError);
    expect(act).toThrow(/5m 01s in the future.*time zone/);
  });

  it.each([
    'yesterday',
    '2h ago',
    '-2w',
    '2025-13',
    '1700000000',
  ])('rejects %s with the accepted forms', (input) => {
    // Act
    const act = () => resolveAt(input, now);

    // Assess
    expect(act).toThrow(RestoreUsageError);
    expect(act).toThrow(/ISO-8601 .*relative/);
  });
});

describe('formatDuration', () => {
  it('prints milliseconds, seconds, minutes and hours', () => {
    // Act
    const printed = [850, 12_340, 125_000, 7_380_000].map(formatDuration);

    // Assess
    expect(printed).toEqual(['850ms', '12.3s', '2m 05s', '2h 03m']);
  });
});

describe('parseRestoreRequest', () => {
  it('normalizes a minimal request with the defaults', () => {
    // Act
    const request = parseRestoreRequest({ group: 'g', topic: 'orders', strategy: 'checkpoint' });

    // Assess
    expect(request).toEqual({
      group: 'g',
      topic: 'orders',
      strategy: 'checkpoint',
      mode: 'recover',
      clamp: false,
      execute: false,
    });
  });

  it('keeps the partitions named, sorted (a Lambda request restoring some partitions)', () => {
    // Act
    const request = parseRestoreRequest({
      group: 'g',
      topic: 'orders',
      strategy: 'auto',
      partitions: [3, 0],
    });

    // Assess
    expect(request.partitions).toEqual([0, 3]);
  });

  it.each([
    [null, /expected a JSON object/],
    [{ topic: 't', strategy: 'auto' }, /Missing group/],
    [{ group: 'g', topic: 'a/b', strategy: 'auto' }, /Invalid topic a\/b/],
    [{ group: 'g', topic: 't', strategy: 'latest' }, /Invalid strategy latest: one of checkpoint, history/],
    [
      { group: 'g', topic: 't', strategy: 'auto', mode: 'replay' },
      /Invalid mode replay: one of recover, reprocess/,
    ],
    [{ group: 'g', topic: 't', strategy: 'auto', esmUuid: 'abc' }, /Invalid esmUuid abc/],
    [{ group: 'g', topic: 't', strategy: 'auto', execute: 'yes' }, /Invalid execute "yes"/],
    [{ group: 'g', topic: 't', strategy: 'timestamp' }, /Strategy timestamp needs --at/],
    [{ group: 'g', topic: 't', strategy: 'history' }, /Strategy history needs --at/],
    [{ group: 'g', topic: 't', strategy: 'auto', force: true }, /Unknown field\(s\) force/],
    [
      { group: 'g', topic: 't', strategy: 'auto', partitions: [] },
      /Invalid partitions \[\]: expected a non-empty/,
    ],
    [{ group: 'g', topic: 't', strategy: 'auto', partitions: '0' }, /Invalid partitions "0"/],
    [{ group: 'g', topic: 't', strategy: 'auto', partitions: [0, -1] }, /Invalid partitions\[1\] -1/],
    [{ group: 'g', topic: 't', strategy: 'auto', partitions: [2, 2] }, /names partition 2 twice/],
    [
      { group: 'g', topic: 't', strategy: 'auto', partitions: [0], mode: 'reprocess' },
      /cannot be combined with mode reprocess/,
    ],
    // --at where the strategy has no point in time: it would restore something else than asked.
    [
      { group: 'g', topic: 't', strategy: 'checkpoint', at: '-1h' },
      /checkpoint does not read --at: it restores the current/,
    ],
    [
      { group: 'g', topic: 't', strategy: 'file', at: '-1h', offsets: [{ partition: 0, offset: 1 }] },
      /file does not read --at/,
    ],
    // A misspelt --at fails here, before the restore connects to the brokers.
    [{ group: 'g', topic: 't', strategy: 'timestamp', at: 'yesterday' }, /Invalid --at "yesterday"/],
    [
      { group: 'g', topic: 't', strategy: 'undo', undoes: 'not-a-uuid' },
      /Invalid undoes "not-a-uuid": expected the restoreId/,
    ],
  ])('rejects %j', (input, message) => {
    // Act
    const act = () => parseRestoreRequest(input);

    // Assess
    expect(act).toThrow(RestoreUsageError);
    expect(act).toThrow(message);
  });
});
