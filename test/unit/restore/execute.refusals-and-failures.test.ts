// Restore execution that refuses or fails (design §7): nothing changes while the group never
// becomes Empty (the ESM is re-enabled), without an ESM while the group has members, when the ESM
// cannot be disabled, for a plan with refusals or without its audit item; after a failure that may
// have changed offsets (setOffsets, verification) the ESM is left disabled on purpose.
// The Lambda API is mocked with aws-sdk-client-mock; the admin is a stateful fake.
import { UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { executePlan } from '#shared/restore/execute.ts';
import {
  deps,
  esmFollowingUpdates,
  esmStates,
  FakeAudit,
  fakeAdmin,
  lambda,
  plan,
  updates,
} from './execute-fixtures.ts';

afterEach(() => lambda.reset());

describe('executePlan', () => {
  it('re-enables the ESM and refuses when the group never becomes Empty (nothing changed)', async () => {
    // Prepare
    esmStates('Enabled', 'Disabled', 'Enabled');
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    const { admin, calls } = fakeAdmin({ states: ['Stable'] });

    // Act
    const result = await executePlan(plan(), deps(admin));

    // Assess
    expect(result.status).toBe('refused');
    expect(result.error?.name).toBe('GroupActiveError');
    expect(result.error?.message).toMatch(
      /still has 1 member\(s\) \(esm-poller@\/10.0.0.9\).*another consumer uses this group/,
    );
    expect(updates()).toEqual([false, true]);
    expect(calls).not.toContain('setOffsets');
  });

  it('without an ESM refuses at once while the group has members', async () => {
    // Prepare
    const { admin, calls } = fakeAdmin({ states: ['Stable', 'Empty'] });

    // Act
    const result = await executePlan(plan({ esmUuid: null }), deps(admin));

    // Assess
    expect(result.status).toBe('refused');
    expect(result.error?.message).toMatch(/Stop the consumer, or pass --esm-uuid/);
    expect(calls).toEqual(['describeGroups']);
  });

  it('leaves the ESM disabled, loudly, when setOffsets fails after disabling it', async () => {
    // Prepare
    esmStates('Enabled', 'Disabled');
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    const { admin } = fakeAdmin({ failSet: new Error('COORDINATOR_NOT_AVAILABLE') });
    const audit = new FakeAudit();

    // Act
    const result = await executePlan(plan(), deps(admin, { audit }));

    // Assess
    expect(result.status).toBe('failed');
    expect(result.esm).toMatchObject({ disabledByRestore: true, reenabled: false, leftDisabled: true });
    expect(updates()).toEqual([false]);
    expect(result.error?.message).toMatch(
      /COORDINATOR_NOT_AVAILABLE.*LEFT DISABLED on purpose.*update-event-source-mapping --uuid 6f1c/,
    );
    expect(audit.finished.map((r) => r.status)).toEqual(['failed']);
  });

  it('names every mismatched partition when verification fails', async () => {
    // Prepare
    esmStates('Enabled', 'Disabled');
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    const { admin } = fakeAdmin({ writeWrong: true });

    // Act
    const result = await executePlan(plan(), deps(admin));

    // Assess
    expect(result.status).toBe('failed');
    expect(result.verified).toBe(false);
    expect(result.error?.message).toMatch(/reports other offsets on orders: 1: expected 20, found 21\./);
    expect(updates()).toEqual([false]);
  });

  it('fails with the next step, and turns the ESM back on, when it does not reach Disabled within the bound', async () => {
    // Prepare
    esmFollowingUpdates('Disabling');
    const { admin, calls } = fakeAdmin();

    // Act
    const result = await executePlan(plan(), deps(admin));

    // Assess
    expect(result.status).toBe('failed');
    expect(result.error?.name).toBe('EventSourceMappingError');
    expect(result.error?.message).toMatch(/still Disabling after 0 s.*get-event-source-mapping --uuid/);
    expect(calls).toEqual([]);
    expect(updates()).toEqual([false, true]);
    expect(result.esm).toMatchObject({ disabledByRestore: true, reenabled: true, leftDisabled: false });
  });

  it('changes nothing when UpdateEventSourceMapping is denied', async () => {
    // Prepare
    esmStates('Enabled');
    lambda.on(UpdateEventSourceMappingCommand).rejects(new Error('AccessDeniedException'));
    const { admin, calls } = fakeAdmin();

    // Act
    const result = await executePlan(plan(), deps(admin));

    // Assess
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/Enabled=false failed: AccessDeniedException/);
    expect(calls).toEqual([]);
  });

  it('does nothing for a plan with refusals, or when the audit item cannot be written', async () => {
    // Prepare
    const { admin, calls } = fakeAdmin();

    // Act
    const refused = await executePlan(plan({ esmUuid: null, refusals: ['no target'] }), deps(admin));
    const unaudited = await executePlan(plan({ esmUuid: null }), deps(admin, { audit: new FakeAudit(true) }));

    // Assess
    expect([refused.status, refused.audit]).toEqual(['refused', 'skipped']);
    expect([unaudited.status, unaudited.audit]).toEqual(['failed', 'failed']);
    expect(unaudited.error?.message).toMatch(/audit item, so nothing was changed/);
    expect(calls).toEqual([]);
  });
});
