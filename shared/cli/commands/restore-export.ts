// `mskguard restore --export FILE`: the plan as a kafka-consumer-groups CSV. The file is checked
// before anything runs, so an executed restore never ends in a write error that hides its answer.
import { constants } from 'node:fs';
import { access, open, unlink, writeFile } from 'node:fs/promises';
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

  /** Writes the plan's CSV, or says on stderr why it did not; the answer is never changed. */
  public async write(response: RestoreResponse, stderr: (text: string) => void): Promise<void> {
    const plan = response.plan;
    if (!plan || (plan.refusals.length > 0 && plan.rows.some((r) => r.target === null))) {
      if (plan) {
        stderr(
          `[restore] --export ${this.path} not written: some partitions have no target (see the table)\n`,
        );
      }
      await this.discard();
      return;
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
  }
}
