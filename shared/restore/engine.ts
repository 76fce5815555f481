import { exitCodeOf, RESTORE_EXIT_CODES, RestoreError, RestoreUsageError } from './errors.ts';
import { type ExecuteDeps, executePlan } from './execute.ts';
import { type PlanDeps, planRestore } from './plan.ts';
import type { RestorePlan, RestoreRequest, RestoreResult } from './types.ts';
import { planUndoRequest } from './undo.ts';

/** Everything a restore reads from and writes to. */
export type RestoreDeps = PlanDeps & ExecuteDeps;

/** A plan, and the result when it was executed. */
export interface RestoreOutcome {
  readonly plan: RestorePlan;
  /** `null` for a dry run. */
  readonly result: RestoreResult | null;
}

/**
 * The machine-readable answer (`--json`, and the restore Lambda's return value): the CLI prints
 * the same table from it whether the engine ran locally or in the Lambda.
 */
export interface RestoreResponse {
  readonly ok: boolean;
  /** {@link RESTORE_EXIT_CODES}: 0 ok, 2 usage, 3 refused, 4 failed, 1 unexpected. */
  readonly exitCode: number;
  readonly plan: RestorePlan | null;
  readonly result: RestoreResult | null;
  /** Set when no plan could be made (usage, unknown topic, unreachable store...); `hint` is the next step. */
  readonly error: {
    readonly name: string;
    readonly kind: string;
    readonly message: string;
    readonly hint?: string;
  } | null;
}

/**
 * Plans, and executes when `request.execute` is true. Throws only when no plan can be made
 * (invalid request, unreachable broker); an execution that fails is a result with `error` set.
 *
 * @example
 * ```ts
 * const { plan, result } = await runRestore({ group: 'orders', topic: 'orders', strategy: 'checkpoint', execute: true }, deps);
 * ```
 */
export async function runRestore(request: RestoreRequest, deps: RestoreDeps): Promise<RestoreOutcome> {
  const plan = await planRestore(await withUndoTargets(request, deps), deps);
  if (!request.execute) return { plan, result: null };
  return { plan, result: await executePlan(plan, deps) };
}

/** An `undo` without offsets takes them from the audit item of the restore it reverts. */
async function withUndoTargets(request: RestoreRequest, deps: RestoreDeps): Promise<RestoreRequest> {
  if (request.strategy !== 'undo' || request.offsets) return request;
  if (!deps.audit)
    throw new RestoreUsageError('undo reads the restore from the audit table: pass --audit-table.');
  return planUndoRequest(deps.audit, { ...request, restoreId: request.undoes ?? '' }, deps.inputNames);
}

/** Exit code of an outcome: a dry run that would be refused exits 3, like a refused execution. */
export function exitCodeOfOutcome(outcome: RestoreOutcome): number {
  if (outcome.result) {
    if (outcome.result.status === 'succeeded') return RESTORE_EXIT_CODES.ok;
    return outcome.result.status === 'refused' ? RESTORE_EXIT_CODES.refused : RESTORE_EXIT_CODES.failed;
  }
  return outcome.plan.refusals.length > 0 ? RESTORE_EXIT_CODES.refused : RESTORE_EXIT_CODES.ok;
}

/** The response for an outcome, or for an error thrown before a plan existed. */
export function toResponse(outcome: RestoreOutcome | { readonly error: unknown }): RestoreResponse {
  if ('plan' in outcome) {
    const exitCode = exitCodeOfOutcome(outcome);
    return {
      ok: exitCode === 0,
      exitCode,
      plan: outcome.plan,
      result: outcome.result,
      error: outcome.result?.error ?? null,
    };
  }
  const { error } = outcome;
  const kind = error instanceof RestoreError ? error.kind : 'error';
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : 'Error';
  // BrokersUnreachableError and the other hinted errors the restore shares with status.
  const hint = (error as { hint?: unknown } | null)?.hint;
  return {
    ok: false,
    exitCode: exitCodeOf(error),
    plan: null,
    result: null,
    error: { name, kind, message, ...(typeof hint === 'string' && hint !== '' ? { hint } : {}) },
  };
}
