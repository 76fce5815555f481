import type { Admin } from 'kafkajs';
import type { TableNames } from '#local/tables.ts';
import { MskGuardError } from '#shared/errors.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import { type RestoreOutcome, runRestore } from '#shared/restore/engine.ts';
import { formatTable } from '#shared/restore/format.ts';
import { committedOffsets } from './kafka.ts';

/** The local run could not finish: it stalled, a fault did not happen, or a restore failed. */
export class LocalRunError extends MskGuardError {}

/**
 * Loses a group's committed offsets the way an operator mistake or a recreated mapping does: the
 * group is deleted while no consumer is in it. Returns the offsets it had.
 *
 * @example
 * ```ts
 * const before = await loseGroupOffsets(admin, 'orders-consumer', 'orders');
 * ```
 */
export async function loseGroupOffsets(
  admin: Admin,
  group: string,
  topic: string,
): Promise<Map<number, number>> {
  const before = await committedOffsets(admin, group, topic);
  await admin.deleteGroups([group]);
  const after = await committedOffsets(admin, group, topic);
  if ([...after.values()].some((offset) => offset >= 0)) {
    throw new LocalRunError(
      `Group ${group} still has committed offsets after deleteGroups: the fault did not happen.`,
    );
  }
  return before;
}

/** Where the restore reads and writes. */
export interface RestoreTarget {
  readonly brokers: readonly string[];
  readonly group: string;
  readonly topic: string;
  readonly tables: TableNames;
  readonly dynamodbEndpoint: string;
  readonly note: (line: string) => void;
}

/**
 * Puts the group's offsets back with the restore engine's `auto` strategy, executed and audited,
 * and prints its plan. Throws when the restore did not succeed.
 *
 * @example
 * ```ts
 * await restoreWithAuto({ brokers, group, topic, tables, dynamodbEndpoint, note: console.error });
 * ```
 */
export async function restoreWithAuto(target: RestoreTarget): Promise<RestoreOutcome> {
  const clients = await openRestoreClients({
    brokers: target.brokers,
    checkpointTable: target.tables.checkpoints,
    auditTable: target.tables.audit,
    dynamodbEndpoint: target.dynamodbEndpoint,
    progress: (line) => target.note(`  restore: ${line}`),
  });
  let outcome: RestoreOutcome;
  try {
    outcome = await runRestore(
      {
        group: target.group,
        topic: target.topic,
        strategy: 'auto',
        execute: true,
        requestedBy: 'mskguard local',
      },
      clients.deps,
    );
  } finally {
    await clients.close();
  }
  for (const line of formatTable(outcome.plan.rows).trimEnd().split('\n')) target.note(`  ${line}`);
  if (outcome.result?.status !== 'succeeded') {
    const why = outcome.result?.error?.message ?? outcome.plan.refusals.join('; ');
    throw new LocalRunError(`The restore of group ${target.group} did not succeed: ${why}`);
  }
  return outcome;
}
