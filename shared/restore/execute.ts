import type { CheckpointStore } from '../checkpoints/types.ts';
import type { AuditKey, AuditStore } from './audit.ts';
import { assertTimeToDisable, REENABLE_RESERVE_MS, waitLimit } from './deadline.ts';
import {
  GroupActiveError,
  OffsetsVerificationError,
  RestoreError,
  RestoreFailedError,
  RestoreRefusedError,
} from './errors.ts';
import type { EventSourceMappingToggle } from './esm.ts';
import { checkRangesNow } from './execute-ranges.ts';
import { waitGroupEmpty } from './group-wait.ts';
import { REQUEST_INPUT_NAMES, type RestoreInputNames } from './input-names.ts';
import type { OffsetWriter } from './offset-commit.ts';
import type { EsmOutcome, ProgressSink, RestoreAdmin, RestorePlan, RestoreResult } from './types.ts';

/** What turns the event source mapping off and on. */
export type EsmControl = Pick<EventSourceMappingToggle, 'state' | 'disable' | 'enable'>;

/** What `--execute` writes to. */
export interface ExecuteDeps {
  readonly admin: RestoreAdmin;
  /**
   * Writes the targets (one OffsetCommit as a non-member, see {@link directOffsetWriter}). Without
   * it, kafkajs `admin.setOffsets` is used: it joins the group and waits for a fetch (~5 s).
   */
  readonly offsets?: Pick<OffsetWriter, 'commitOffsets'>;
  readonly checkpoints: CheckpointStore;
  /** Required when the plan names an ESM. */
  readonly esm?: EsmControl;
  /** Without it the run is not audited (library use); the CLI and the Lambda always pass one. */
  readonly audit?: AuditStore;
  readonly progress?: ProgressSink;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** Bound of the wait for the group to become Empty after the ESM is disabled. @default 180_000 */
  readonly groupEmptyTimeoutMs?: number;
  /** @default 2000 */
  readonly groupPollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds of the clock the group wait measures with. @default Date.now */
  readonly now?: () => number;
  /**
   * Milliseconds the run may still spend before it must answer (the restore function: its remaining
   * time less a reserve). Every wait is cut to fit, the ones before the commit also keeping
   * {@link REENABLE_RESERVE_MS}, so the typed error arrives, the ESM is re-enabled and the audit item
   * completed before Lambda ends the invocation. A run with less than MIN_WORK_MS plus that reserve
   * left when it would disable the mapping is refused first (RestoreDeadlineError, deadline.ts).
   * @default no limit (the CLI)
   */
  readonly remainingMs?: () => number;
  /** How messages name the caller's settings. @default REQUEST_INPUT_NAMES */
  readonly inputNames?: RestoreInputNames;
}

interface RunState {
  applied: { partition: number; offset: number }[];
  verified: boolean;
  epoch: number | null;
  esm: EsmOutcome | null;
  /** Past this point the group's offsets may differ from before: failures leave the ESM disabled. */
  offsetsTouched: boolean;
}

/**
 * Applies a plan: disable the ESM (if any) and wait until it is Disabled, wait until the group is
 * Empty, commit the targets, verify with fetchOffsets, bump the epoch (`reprocess`), re-enable the ESM,
 * audit. Never throws for a restore failure: the result says what happened, and `error` why.
 *
 * A failure after the offsets may have changed leaves the ESM disabled on purpose: re-enabling it
 * would let the consumer run from offsets nobody checked. A failure before that re-enables it.
 *
 * @example
 * ```ts
 * const result = await executePlan(plan, { admin, checkpoints, esm, audit });
 * if (result.status !== 'succeeded') process.exitCode = 4;
 * ```
 */
export async function executePlan(plan: RestorePlan, deps: ExecuteDeps): Promise<RestoreResult> {
  const clock = deps.clock ?? (() => new Date());
  const startedAt = clock().toISOString();
  const t0 = performance.now();
  const steps: string[] = [];
  const step = (line: string) => {
    const stamped = `+${((performance.now() - t0) / 1000).toFixed(1)}s ${line}`;
    steps.push(stamped);
    deps.progress?.(stamped);
  };
  const run: RunState = { applied: [], verified: false, epoch: null, esm: null, offsetsTouched: false };
  const result = (
    status: RestoreResult['status'],
    error: unknown,
    audit: RestoreResult['audit'],
  ): RestoreResult => ({
    restoreId: plan.restoreId,
    status,
    startedAt,
    finishedAt: clock().toISOString(),
    elapsedMs: Math.round(performance.now() - t0),
    applied: run.applied,
    verified: run.verified,
    esm: run.esm,
    epoch: run.epoch,
    audit,
    steps,
    error: error === null ? null : describeError(error),
  });

  if (plan.refusals.length > 0) {
    return result(
      'refused',
      new RestoreRefusedError(`Restore refused, nothing was changed: ${plan.refusals.join(' | ')}`),
      'skipped',
    );
  }
  if (plan.esmUuid && !deps.esm)
    throw new RestoreFailedError('The plan names an ESM but no Lambda client was given.');
  let auditKey: AuditKey | null = null;
  if (deps.audit) {
    try {
      auditKey = await deps.audit.start(plan, startedAt);
      step(`audit item ${auditKey.pk} / ${auditKey.sk} written (running)`);
    } catch (error) {
      // A plan too large to audit (AuditTooLargeError) is refused, with what to run instead: not a
      // failed write, whose advice (table name, PutItem permission) would send the operator astray.
      if (error instanceof RestoreRefusedError) return result('refused', error, 'skipped');
      const failure = new RestoreFailedError(
        `Could not write the audit item, so nothing was changed: ${(error as Error).message}. Check ` +
          `${(deps.inputNames ?? REQUEST_INPUT_NAMES).auditTable} and the caller’s dynamodb:PutItem permission.`,
        { cause: error },
      );
      return result('failed', failure, 'failed');
    }
  }
  const outcome = await apply(plan, deps, run, step).then(
    () => result('succeeded', null, auditKey ? 'written' : 'skipped'),
    (error: unknown) =>
      result(
        error instanceof RestoreRefusedError ? 'refused' : 'failed',
        error,
        auditKey ? 'written' : 'skipped',
      ),
  );
  if (!auditKey || !deps.audit) return outcome;
  try {
    await deps.audit.finish(auditKey, outcome);
    return outcome;
  } catch (error) {
    // The offsets are what the result says; a lost audit update must not hide that.
    step(`WARNING: the audit item ${auditKey.sk} could not be completed: ${(error as Error).message}`);
    return { ...outcome, audit: 'failed', steps };
  }
}

async function apply(plan: RestorePlan, deps: ExecuteDeps, run: RunState, step: ProgressSink): Promise<void> {
  const uuid = plan.esmUuid;
  let disabledByRestore = false;
  try {
    if (uuid && deps.esm) {
      const initialState = await deps.esm.state(uuid);
      run.esm = { uuid, initialState, disabledByRestore: false, reenabled: false, leftDisabled: false };
      // `Disabling` means someone else (an operator stopping a poison batch) is turning it off:
      // it is theirs, so the restore must not turn it back on afterwards. The group wait below
      // covers its pollers leaving.
      if (initialState === 'Disabled' || initialState === 'Disabling')
        step(`event source mapping ${uuid} is already ${initialState}: it stays disabled afterwards`);
      else {
        // Before the update, not as a wait cut to nothing after it: the refusal then leaves the
        // mapping as it was instead of stopping and restarting its consumer.
        assertTimeToDisable(deps.remainingMs, uuid);
        try {
          await deps.esm.disable(uuid, step, waitLimit(deps.remainingMs, REENABLE_RESERVE_MS));
          disabledByRestore = true;
        } catch (error) {
          // When only the wait gave up, the update was accepted and the mapping is on its way to
          // Disabled: it is turned back on below, as after any failure before the commit.
          disabledByRestore = await deps.esm.state(uuid).then(
            (state) => state === 'Disabling' || state === 'Disabled',
            () => false,
          );
          throw error;
        } finally {
          run.esm = { ...run.esm, disabledByRestore };
        }
      }
    }
    await waitGroupEmpty(plan, deps, step);
    // The plan's [low, high] may be minutes old (ESM disable, group wait, a plan executed later):
    // retention may have deleted a target since. Checked again before anything is written.
    await checkRangesNow(plan, deps.admin);
    const partitions = plan.rows.map((r) => ({ partition: r.partition, offset: String(r.target) }));
    run.offsetsTouched = true;
    step(`committing ${partitions.length} offset(s) of group ${plan.group} on ${plan.topic}`);
    try {
      const request = { groupId: plan.group, topic: plan.topic, partitions };
      await (deps.offsets ? deps.offsets.commitOffsets(request) : deps.admin.setOffsets(request));
    } catch (error) {
      // The broker refused the whole commit (a member joined): nothing was written.
      if (error instanceof GroupActiveError) run.offsetsTouched = false;
      throw error;
    }
    run.applied = plan.rows.map((r) => ({ partition: r.partition, offset: r.target! }));
    await verify(plan, deps);
    run.verified = true;
    step(`verified: fetchOffsets reports every target of group ${plan.group}`);
    if (plan.mode === 'reprocess') {
      run.epoch = await deps.checkpoints.bumpEpoch(plan.group, { requestId: plan.restoreId });
      step(`reprocess: dedup epoch of group ${plan.group} bumped to ${run.epoch}`);
    }
  } catch (error) {
    if (!disabledByRestore || !uuid || !deps.esm) throw error;
    if (!run.offsetsTouched) {
      try {
        await deps.esm.enable(uuid, step, waitLimit(deps.remainingMs));
      } catch (enableError) {
        run.esm = { ...run.esm!, leftDisabled: true };
        throw new RestoreFailedError(
          `${messageOf(error)} Nothing was changed, but re-enabling event source mapping ${uuid} failed too: ` +
            `${messageOf(enableError)} Enable it with: aws lambda update-event-source-mapping --uuid ${uuid} --enabled`,
          { cause: error },
        );
      }
      run.esm = { ...run.esm!, reenabled: true };
      step(`event source mapping ${uuid} re-enabled: nothing was changed`);
      throw error;
    }
    run.esm = { ...run.esm!, leftDisabled: true };
    throw new RestoreFailedError(`${messageOf(error)} ${leftDisabledAdvice(plan, uuid)}`, { cause: error });
  }
  if (disabledByRestore && uuid && deps.esm) {
    try {
      await deps.esm.enable(uuid, step, waitLimit(deps.remainingMs));
      run.esm = { ...run.esm!, reenabled: true };
    } catch (error) {
      run.esm = { ...run.esm!, leftDisabled: true };
      throw new RestoreFailedError(
        `Offsets were restored and verified, but re-enabling the event source mapping failed: ${messageOf(error)} ` +
          `Enable it with: aws lambda update-event-source-mapping --uuid ${uuid} --enabled`,
        { cause: error },
      );
    }
  }
}

async function verify(plan: RestorePlan, deps: ExecuteDeps): Promise<void> {
  const [entry] = await deps.admin.fetchOffsets({ groupId: plan.group, topics: [plan.topic] });
  const actual = new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  const mismatches = plan.rows
    .map((r) => ({ partition: r.partition, expected: r.target!, actual: actual.get(r.partition) ?? null }))
    .filter((m) => m.actual !== m.expected);
  if (mismatches.length === 0) return;
  const list = mismatches
    .map((m) => `${m.partition}: expected ${m.expected}, found ${m.actual ?? 'none'}`)
    .join('; ');
  throw new OffsetsVerificationError(
    `After the commit, group ${plan.group} reports other offsets on ${plan.topic}: ${list}.`,
    mismatches,
  );
}

function leftDisabledAdvice(plan: RestorePlan, uuid: string): string {
  return (
    `Event source mapping ${uuid} was LEFT DISABLED on purpose: the offsets of group ${plan.group} may be partly ` +
    `changed. Next: run the same restore without --execute to compare committed and target offsets, rerun it with ` +
    `--execute, then (only when the offsets are right) enable the mapping: aws lambda update-event-source-mapping ` +
    `--uuid ${uuid} --enabled`
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeError(error: unknown): NonNullable<RestoreResult['error']> {
  const kind = error instanceof RestoreError ? error.kind : 'failed';
  return { name: error instanceof Error ? error.name : 'Error', kind, message: messageOf(error) };
}
