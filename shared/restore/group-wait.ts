import { boundOf, REENABLE_RESERVE_MS, waitLimit } from './deadline.ts';
import { GroupActiveError } from './errors.ts';
import type { ExecuteDeps } from './execute.ts';
import { formatDuration } from './time.ts';
import type { ProgressSink, RestorePlan } from './types.ts';

/**
 * Waits until the group has no members (Empty or Dead): the ESM's pollers leave some time after it
 * is Disabled. Without an ESM to disable nothing will make members leave, so it does not wait. The
 * wait keeps {@link REENABLE_RESERVE_MS} of the run's remaining time to re-enable the ESM.
 */
export async function waitGroupEmpty(
  plan: RestorePlan,
  deps: Pick<ExecuteDeps, 'admin' | 'groupEmptyTimeoutMs' | 'groupPollMs' | 'sleep' | 'now' | 'remainingMs'>,
  step: ProgressSink,
): Promise<void> {
  const own = plan.esmUuid ? (deps.groupEmptyTimeoutMs ?? 180_000) : 0;
  const bound = boundOf(own, waitLimit(deps.remainingMs, REENABLE_RESERVE_MS));
  const pollMs = deps.groupPollMs ?? 2000;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const deadline = now() + bound.ms;
  for (;;) {
    const { groups } = await deps.admin.describeGroups([plan.group]);
    const group = groups.find((g) => g.groupId === plan.group);
    const state = group?.state ?? 'Dead';
    const members = (group?.members ?? []).map((m) => `${m.clientId}@${m.clientHost}`);
    if ((state === 'Empty' || state === 'Dead') && members.length === 0) {
      step(`group ${plan.group} is ${state}`);
      return;
    }
    if (now() >= deadline) throw groupActive(plan, state, members, bound);
    step(`group ${plan.group} is ${state} with ${members.length} member(s); waiting until it is Empty`);
    await sleep(pollMs);
  }
}

function groupActive(
  plan: RestorePlan,
  state: string,
  members: string[],
  waited: { ms: number; note: string },
): GroupActiveError {
  const who = `${members.length} member(s) (${members.join(', ') || 'rebalancing'}), state ${state}`;
  if (!plan.esmUuid) {
    return new GroupActiveError(
      `Group ${plan.group} has ${who}: offsets cannot be moved under a running consumer (its next commit would ` +
        'overwrite them). Stop the consumer, or pass --esm-uuid so the restore disables the event source mapping, and retry.',
      members,
    );
  }
  return new GroupActiveError(
    `Group ${plan.group} still has ${who} ${formatDuration(waited.ms)} after event source mapping ${plan.esmUuid} was ` +
      (waited.note
        ? `disabled: its pollers may not have left yet, or another consumer uses this group.${waited.note}`
        : 'disabled: another consumer uses this group. Stop it and retry.'),
    members,
  );
}
