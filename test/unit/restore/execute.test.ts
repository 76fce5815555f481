// Restore execution (design §7): ESM disabled and Disabled before offsets move, group Empty,
// setOffsets verified with fetchOffsets, ESM re-enabled — or left disabled on purpose after a
// failure that may have changed offsets; `reprocess` bumps the epoch (G1 holds in `recover`).
// The Lambda API is mocked with aws-sdk-client-mock; the admin is a stateful fake.
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { GroupDescriptions } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditKey, AuditStore } from '#shared/restore/audit.ts';
import { EventSourceMappingToggle } from '#shared/restore/esm.ts';
import { executePlan } from '#shared/restore/execute.ts';
import type { RestoreAdmin, RestorePlan, RestoreResult } from '#shared/restore/types.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';

const UUID = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

function plan(overrides: Partial<RestorePlan> = {}): RestorePlan {
  const row = (partition: number, target: number) => ({
    partition,
    committed: null,
    low: 0,
    high: 100,
    proposed: target,
    target,
    delta: null,
    source: 'checkpoint' as const,
    detail: '',
    clamped: false,
    problem: null,
  });
  return {
    restoreId: 'r-1',
    group: 'g',
    topic: 'orders',
    strategy: 'checkpoint',
    mode: 'recover',
    at: null,
    clamp: false,
    esmUuid: UUID,
    requestedBy: 'test',
    plannedAt: '2025-03-01T12:00:00.000Z',
    groupState: 'Stable',
    members: [],
    rows: [row(0, 10), row(1, 20)],
    considered: [],
    warnings: [],
    refusals: [],
    ...overrides,
  };
}

function fakeAdmin(options: { states?: string[]; failSet?: Error; writeWrong?: boolean } = {}) {
  const committed = new Map<number, number>();
  const states = [...(options.states ?? ['Empty'])];
  const calls: string[] = [];
  const admin = {
    listTopics: async () => ['orders'],
    fetchTopicOffsets: async () => [],
    fetchTopicOffsetsByTimestamp: async () => [],
    describeGroups: async (): Promise<GroupDescriptions> => {
      calls.push('describeGroups');
      const state = states.length > 1 ? states.shift()! : states[0]!;
      const members =
        state === 'Stable'
          ? [
              {
                memberId: 'm',
                clientId: 'esm-poller',
                clientHost: '/10.0.0.9',
                memberAssignment: Buffer.alloc(0),
                memberMetadata: Buffer.alloc(0),
              },
            ]
          : [];
      return {
        groups: [{ groupId: 'g', protocol: '', protocolType: 'consumer', state: state as 'Empty', members }],
      };
    },
    setOffsets: async ({ partitions }: { partitions: { partition: number; offset: string }[] }) => {
      calls.push('setOffsets');
      if (options.failSet) throw options.failSet;
      for (const p of partitions)
        committed.set(p.partition, Number(p.offset) + (options.writeWrong && p.partition === 1 ? 1 : 0));
    },
    fetchOffsets: async () => {
      calls.push('fetchOffsets');
      return [
        {
          topic: 'orders',
          partitions: [...committed].map(([partition, o]) => ({
            partition,
            offset: String(o),
            metadata: null,
          })),
        },
      ];
    },
  } satisfies RestoreAdmin;
  return { admin, committed, calls };
}

class FakeAudit implements AuditStore {
  public started = 0;
  public finished: RestoreResult[] = [];
  public constructor(private readonly failStart = false) {}
  public async start(p: RestorePlan, startedAt: string): Promise<AuditKey> {
    if (this.failStart) throw new Error('ResourceNotFoundException: table audit');
    this.started++;
    return { pk: p.group, sk: `${startedAt}#${p.restoreId}` };
  }
  public async finish(_key: AuditKey, result: RestoreResult): Promise<void> {
    this.finished.push(result);
  }
}

/** GetEventSourceMapping answers these states in turn, then the last one forever. */
function esmStates(...states: string[]): void {
  let chain = lambda.on(GetEventSourceMappingCommand);
  for (const State of states) chain = chain.resolvesOnce({ State });
  chain.resolves({ State: states[states.length - 1] ?? 'Enabled' });
}

const esm = () => new EventSourceMappingToggle(new LambdaClient({}), { pollMs: 1, timeoutMs: 200 });
const deps = (admin: RestoreAdmin, extra: Partial<Parameters<typeof executePlan>[1]> = {}) => ({
  admin,
  checkpoints: new MemoryCheckpointStore(),
  esm: esm(),
  audit: new FakeAudit(),
  groupPollMs: 1,
  groupEmptyTimeoutMs: 200,
  ...extra,
});
const updates = () =>
  lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input.Enabled);

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

  it('fails with the next step when the ESM does not reach Disabled within the bound', async () => {
    // Prepare
    esmStates('Enabled', 'Disabling');
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    const { admin, calls } = fakeAdmin();

    // Act
    const result = await executePlan(plan(), deps(admin));

    // Assess
    expect(result.status).toBe('failed');
    expect(result.error?.name).toBe('EventSourceMappingError');
    expect(result.error?.message).toMatch(/still Disabling after 0 s.*get-event-source-mapping --uuid/);
    expect(calls).toEqual([]);
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
