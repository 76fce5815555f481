// What the restore execution tests share: a two-partition plan, a stateful fake admin, a fake
// audit store, the mocked Lambda API with ESM states answered in turn, and executePlan's
// dependencies with short polling bounds.
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { GroupDescriptions } from 'kafkajs';
import type { AuditKey, AuditStore } from '#shared/restore/audit.ts';
import { EventSourceMappingToggle } from '#shared/restore/esm.ts';
import type { executePlan } from '#shared/restore/execute.ts';
import type { RestoreAdmin, RestorePlan, RestoreResult } from '#shared/restore/types.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';

export const UUID = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
/** The mocked Lambda API: reset it after each test (`afterEach(() => lambda.reset())`). */
export const lambda = mockClient(LambdaClient);

/** A plan of group g on orders: targets 10 and 20 for partitions 0 and 1, ESM `UUID`. */
export function plan(overrides: Partial<RestorePlan> = {}): RestorePlan {
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

/**
 * A stateful RestoreAdmin: the group answers `states` in turn (then the last one), setOffsets
 * writes `committed` (or fails, or writes partition 1 one too far), and `calls` records the order.
 */
export function fakeAdmin(options: { states?: string[]; failSet?: Error; writeWrong?: boolean } = {}) {
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

/** An AuditStore that counts starts and keeps results, or cannot write its start item. */
export class FakeAudit implements AuditStore {
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
export function esmStates(...states: string[]): void {
  let chain = lambda.on(GetEventSourceMappingCommand);
  for (const State of states) chain = chain.resolvesOnce({ State });
  chain.resolves({ State: states[states.length - 1] ?? 'Enabled' });
}

/**
 * GetEventSourceMapping answers the state the updates left: `Enabled` at first; Enabled=false leaves
 * it in `stuckDisabling` (or `Disabled` when undefined), Enabled=true in `afterEnable`.
 */
export function esmFollowingUpdates(stuckDisabling?: string, afterEnable = 'Enabled'): void {
  let state = 'Enabled';
  lambda.on(GetEventSourceMappingCommand).callsFake(() => ({ State: state }));
  lambda.on(UpdateEventSourceMappingCommand).callsFake(({ Enabled }: { Enabled: boolean }) => {
    state = Enabled ? afterEnable : (stuckDisabling ?? 'Disabled');
    return {};
  });
}

const esm = () => new EventSourceMappingToggle(new LambdaClient({}), { pollMs: 1, timeoutMs: 200 });
export const deps = (admin: RestoreAdmin, extra: Partial<Parameters<typeof executePlan>[1]> = {}) => ({
  admin,
  checkpoints: new MemoryCheckpointStore(),
  esm: esm(),
  audit: new FakeAudit(),
  groupPollMs: 1,
  groupEmptyTimeoutMs: 200,
  ...extra,
});
/** The `Enabled` of every UpdateEventSourceMapping sent, in order. */
export const updates = () =>
  lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input.Enabled);
