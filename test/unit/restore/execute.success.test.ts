// Restore execution that succeeds (design §7): ESM disabled and Disabled before offsets move, group
// Empty, setOffsets verified with fetchOffsets, ESM re-enabled and the restore audited; an ESM that
// was already Disabled is left alone; `reprocess` bumps the epoch (G1 holds in `recover`).
// The Lambda API is mocked with aws-sdk-client-mock; the admin is a stateful fake.
import { UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { executePlan } from '#shared/restore/execute.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import { deps, esmStates, FakeAudit, fakeAdmin, lambda, plan, UUID, updates } from './execute-fixtures.ts';

afterEach(() => lambda.reset());

describe('executePlan', () => {
  it('disables the ESM, waits for Disabled and Empty, sets, verifies, re-enables and audits', async () => {
    // Prepare
    esmStates('Enabled', 'Disabling', 'Disabled', 'Enabling', 'Enabled');
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    const { admin, committed, calls } = fakeAdmin({ states: ['Stable', 'Empty'] });
    const audit = new FakeAudit();

    // Act
    const result = await executePlan(plan(), deps(admin, { audit }));

    // Assess
    expect(result).toMatchObject({ status: 'succeeded', verified: true, audit: 'written', error: null });
    expect(result.esm).toEqual({
      uuid: UUID,
      initialState: 'Enabled',
      disabledByRestore: true,
      reenabled: true,
      leftDisabled: false,
    });
    expect(updates()).toEqual([false, true]);
    expect(calls).toEqual(['describeGroups', 'describeGroups', 'setOffsets', 'fetchOffsets']);
    expect([...committed]).toEqual([
      [0, 10],
      [1, 20],
    ]);
    expect([audit.started, audit.finished.map((r) => r.status)]).toEqual([1, ['succeeded']]);
  });

  it('leaves an ESM that was already Disabled alone', async () => {
    // Prepare
    esmStates('Disabled');
    const { admin } = fakeAdmin();

    // Act
    const result = await executePlan(plan(), deps(admin));

    // Assess
    expect(result.status).toBe('succeeded');
    expect(updates()).toEqual([]);
    expect(result.esm).toMatchObject({ disabledByRestore: false, reenabled: false });
  });

  it('bumps the dedup epoch in reprocess mode, after the offsets are verified', async () => {
    // Prepare
    const { admin } = fakeAdmin();
    const checkpoints = new MemoryCheckpointStore();

    // Act
    const result = await executePlan(
      plan({ esmUuid: null, mode: 'reprocess' }),
      deps(admin, { checkpoints }),
    );

    // Assess
    expect(result.epoch).toBe(1);
    expect(checkpoints.bumps).toEqual([{ group: 'g', requestId: 'r-1' }]);
  });
});
