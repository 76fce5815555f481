import type { Context } from 'aws-lambda';
import { type AdmittedBatch, admit } from './admit.ts';
import { GuardState } from './guard-state.ts';
import type { MskGuardOptions } from './options.ts';
import { abandon, settle } from './settle.ts';
import type { GuardTelemetry } from './telemetry.ts';

export type { AdmittedBatch } from './admit.ts';

/**
 * mskguard's per-batch logic, independent of Middy. A batch's path, one file per step (decision
 * 0010): `admit` (admit.ts) before the handler, `settle` (settle.ts) after it, `abandon` when it
 * throws; the container-wide state (tiers, key derivers, telemetry) is in guard-state.ts.
 */
export class GuardEngine {
  readonly #state: GuardState;

  public constructor(options: MskGuardOptions) {
    this.#state = new GuardState(options);
  }

  public get telemetry(): GuardTelemetry {
    return this.#state.telemetry;
  }

  /** Before the handler: decides each record's fate and hands on those to process. */
  public admit(event: unknown, context: Context): Promise<AdmittedBatch> {
    return admit(this.#state, event, context);
  }

  /** After the handler: completes what succeeded, releases what Lambda delivers again, checkpoints. */
  public settle(admitted: AdmittedBatch, response: unknown): Promise<unknown> {
    return settle(this.#state, admitted, response);
  }

  /** The handler threw (or its response is unusable): gives every lease back so a retry can process. */
  public abandon(admitted: AdmittedBatch): Promise<void> {
    return abandon(this.#state, admitted);
  }
}
