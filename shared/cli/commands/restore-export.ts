// `mskguard restore --export FILE`: the plan as a kafka-consumer-groups CSV (or, for an undo refused
// because its restore recorded no result, the offsets from before that run, from the error's hint).
// The file is checked before anything runs, so an executed restore never ends in a write error that
// hides its answer.
import { constants } from 'node:fs';
import { access, open, unlink, writeFile } from 'node:fs/promises';
import { omissionOf } from '../../restore/compact-answer.ts';
import type { RestoreResponse } from '../../restore/engine.ts';
import { formatOffsetsCsv } from '../../restore/offsets-csv.ts';
import { UsageError } from '../command.ts';

/** What a failed write says: the `code` of a Node fs error is enough to act on. */
function reasonOf(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const why: Record<string, string> = {
    ENOENT: 'its directory does not exist',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a directory',
    EROFS: 'read-only file system',
    ENOTDIR: 'a parent is not a directory',
  };
  return (code && why[code]) ?? message ?? String(error);
}

/**
 * The `--export` file: {@link RestoreExport.claim} checks (or creates) it before the restore runs,
 * {@link RestoreExport.write} writes the plan after it and never throws: the restore has happened by
 * then, and its answer and exit code are what the caller must see.
 *
 * @example
 * ```ts
 * const exported = await RestoreExport.claim('plan.csv'); // UsageError (exit 2) when not writable
 * await exported.write(response, io.stderr);
 * ```
 */
export class RestoreExport {
  private constructor(
    public readonly path: string,
    /** Created by the claim: removed again when nothing is written to it. */
    private readonly created: boolean,
  ) {}

  /** Opens the file for writing (creating it when missing); a usage error naming it when it cannot. */
  public static async claim(path: string): Promise<RestoreExport> {
    try {
      const existed = await access(path, constants.F_OK).then(
        () => true,
        () => false,
      );
      // Opened for append: checks the file is writable without truncating it before the plan exists.
      const handle = await open(path, 'a');
      await handle.close();
      return new RestoreExport(path, !existed);
    } catch (error) {
      throw new UsageError(
        `Cannot write --export ${path}: ${reasonOf(error)}. Nothing was run: pass a writable file path ` +
          '(its directory must exist) or leave out --export.',
      );
    }
  }

  /** Removes the file the claim created, when nothing is to be written to it. */
  public async discard(): Promise<void> {
    if (this.created) await unlink(this.path).catch(() => {});
  }

  /**
   * Writes the plan's CSV, or says on stderr why it did not; the answer is never changed. For an undo
   * refused with the offsets from before its restore (the error's hint, CSV lines), writes those, and
   * answers the line that replaces the hint in the output; undefined when the hint is to be printed.
   */
  public async write(response: RestoreResponse, stderr: (text: string) => void): Promise<string | undefined> {
    const plan = response.plan;
    const hint = response.error?.name === 'UndoNotPossibleError' ? response.error.hint : undefined;
    if (!plan && hint) return this.writeHint(hint, stderr);
    if (plan && omissionOf(plan)?.fields.includes('plan.rows')) {
      // A compact --via-lambda answer (compact-answer.ts): no rows, and a file of none would restore nothing.
      const { partitions, auditItem, readWith } = omissionOf(plan)!;
      const item = auditItem
        ? ` Audit item: table ${auditItem.table}, pk ${auditItem.pk}, sk ${auditItem.sk} (${auditItem.state}).`
        : '';
      stderr(
        `[restore] --export ${this.path} not written: the restore function's answer left out the plan's rows ` +
          `(${partitions} partition(s); Lambda answers at most 6 MB), and a file without them would list no ` +
          `offset.${item} ${readWith}\n`,
      );
      await this.discard();
      return undefined;
    }
    if (!plan || (plan.refusals.length > 0 && plan.rows.some((r) => r.target === null))) {
      if (plan) {
        stderr(
          `[restore] --export ${this.path} not written: some partitions have no target (see the table)\n`,
        );
      }
      await this.discard();
      return undefined;
    }
    try {
      await writeFile(this.path, formatOffsetsCsv(plan));
      stderr(
        `[restore] wrote ${plan.rows.length} line(s) to ${this.path} (kafka-consumer-groups --from-file format)\n`,
      );
    } catch (error) {
      stderr(
        `[restore] WARNING: --export ${this.path} not written (${reasonOf(error)}). The restore's answer below ` +
          `stands (restore ${plan.restoreId}); its plan is also in the --json answer and the audit item.\n`,
      );
    }
    return undefined;
  }

  /** The undo refusal's CSV of the offsets from before the run; when it cannot be written, the hint is printed. */
  private async writeHint(hint: string, stderr: (text: string) => void): Promise<string | undefined> {
    try {
      await writeFile(this.path, `${hint}\n`);
      return (
        `[restore] wrote ${hint.split('\n').length} line(s) to ${this.path}: the offsets from before that ` +
        `restore, for mskguard restore file --from-file ${this.path}\n`
      );
    } catch (error) {
      stderr(
        `[restore] WARNING: --export ${this.path} not written (${reasonOf(error)}); the offsets follow.\n`,
      );
      return undefined;
    }
  }
}
