// Restore execution inside the restore function (design §7, G6): every wait is cut to the time the
// invocation has left, so the typed error arrives, the ESM is re-enabled and the audit item completed
// before Lambda would end the run. Time is a fake clock that only the polling sleeps advance: no
// timed assertion, no real waiting.
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_WORK_MS, REENABLE_RESERVE_MS, type WaitLimit } from '#shared/restore/deadline.ts';
import { EventSourceMappingToggle } from '#shared/restore/esm.ts';
import { executePlan } from '#shared/restore/execute.ts';
import { ANSWER_RESERVE_MS } from '#shared/restore/lambda.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import { fakeRestoreClients } from '#test/support/restore-cli.ts';
import { esmFollowingUpdates, FakeAudit, fakeAdmin, lambda, plan, updates } from './execute-fixtures.ts';
import { restoreLambda } from './lambda-fixtures.ts';

afterEach(() => lambda.reset());

/** A clock that moves only when the restore sleeps between polls; it refuses to wait for ever. */
function fakeTime() {
  const clock = { t: 0, sleeps: 0 };
  const now = () => clock.t;
  const sleep = async (ms: number) => {
    // A wait with no working bound would poll for ever on a clock that only it moves.
    if (++clock.sleeps > 1000) throw new Error('polled 1000 times: the wait has no bound');
    clock.t += ms;
  };
  return { clock, now, sleep };
}

/** executePlan's dependencies with the restore function's own bounds (300 s, 180 s) on fake time. */
function depsAt(remainingAtStartMs: number, admin = fakeAdmin().admin) {
  const time = fakeTime();
  const audit = new FakeAudit();
  const toggle = new EventSourceMappingToggle(new LambdaClient({}), { now: time.now, sleep: time.sleep });
  return {
    time,
    audit,
    deps: {
      admin,
      checkpoints: new MemoryCheckpointStore(),
      esm: toggle,
      audit,
      now: time.now,
      sleep: time.sleep,
      remainingMs: () => remainingAtStartMs - time.clock.t,
    },
  };
}

describe('executePlan with the time the invocation has left', () => {
  it('gives up disabling before the deadline, keeping the time to re-enable the ESM and audit', async () => {
    // Prepare: 200 s left; the mapping would take longer than its own 300 s bound to disable.
    esmFollowingUpdates('Disabling');
    const { deps, audit, time } = depsAt(200_000);

    // Act
    const result = await executePlan(plan(), deps);

    // Assess
    expect(result.status).toBe('failed');
    expect(result.error?.name).toBe('EventSourceMappingError');
    expect(result.error?.message).toMatch(
      /still Disabling after 140 s \(waiting for Disabled\)\. The wait was cut to 2m 20s by the restore function's remaining time, less 1m 00s kept to re-enable the mapping/,
    );
    expect(updates()).toEqual([false, true]);
    expect(result.esm).toMatchObject({ reenabled: true, leftDisabled: false });
    expect(audit.finished).toHaveLength(1);
    expect(time.clock.t).toBeLessThanOrEqual(200_000 - REENABLE_RESERVE_MS + 2000);
  });

  it('gives up waiting for Empty before the deadline: refused, the ESM re-enabled', async () => {
    // Prepare: 100 s left; the group keeps a member longer than its own 180 s bound.
    esmFollowingUpdates();
    const { deps, audit, time } = depsAt(100_000, fakeAdmin({ states: ['Stable'] }).admin);

    // Act
    const result = await executePlan(plan(), deps);

    // Assess
    expect(result.status).toBe('refused');
    expect(result.error?.name).toBe('GroupActiveError');
    expect(result.error?.message).toMatch(
      /still has 1 member\(s\).* 40\.0s after .*its pollers may not have left yet.*The wait was cut to 40\.0s/,
    );
    expect(updates()).toEqual([false, true]);
    expect(audit.finished.map((r) => r.status)).toEqual(['refused']);
    expect(time.clock.t).toBeLessThanOrEqual(100_000);
  });

  it('gives up re-enabling after a verified commit before the deadline, and says how to enable it', async () => {
    // Prepare: the least time a run is given (90 s) once the mapping is disabled at once; enabling takes longer.
    esmFollowingUpdates(undefined, 'Enabling');
    const { deps, audit, time } = depsAt(REENABLE_RESERVE_MS + MIN_WORK_MS);

    // Act
    const result = await executePlan(plan(), deps);

    // Assess
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(
      /restored and verified, but re-enabling .*still Enabling after 90 s.*cut to 1m 30s.*--enabled$/,
    );
    expect(result.verified).toBe(true);
    expect(audit.finished).toHaveLength(1);
    expect(time.clock.t).toBeLessThanOrEqual(REENABLE_RESERVE_MS + MIN_WORK_MS);
  });
});

describe('restore Lambda handler deadline', () => {
  it("bounds the restore's waits by the invocation's remaining time less its reserves", async () => {
    // Prepare: an ESM control that records the limit of its waits.
    const limits: (WaitLimit | undefined)[] = [];
    const control = {
      state: async () => 'Enabled',
      disable: async (_uuid: string, _progress?: unknown, limit?: WaitLimit) => {
        limits.push(limit);
      },
      enable: async (_uuid: string, _progress?: unknown, limit?: WaitLimit) => {
        limits.push(limit);
      },
    };
    const openClients = fakeRestoreClients({ esm: control as never, audit: new FakeAudit() });
    const handler = restoreLambda(openClients, {
      targets: [
        {
          consumerGroupId: 'g',
          topic: 'orders',
          eventSourceMappingId: '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88',
        },
      ],
    });

    // Act
    await handler(
      {
        group: 'g',
        topic: 'orders',
        strategy: 'file',
        offsets: [{ partition: 0, offset: 3 }],
        execute: true,
      },
      { functionName: 'restore', getRemainingTimeInMillis: () => 500_000 },
    );

    // Assess: disabling keeps the time to re-enable; enabling only the time to answer.
    expect(limits.map((l) => l?.ms)).toEqual([
      500_000 - ANSWER_RESERVE_MS - REENABLE_RESERVE_MS,
      500_000 - ANSWER_RESERVE_MS,
    ]);
  });
});
