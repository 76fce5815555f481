/** What the progress line shows. */
export interface ProgressSnapshot {
  /** Sum over partitions of the committed offsets, and of the high watermarks to reach. */
  readonly committed: number;
  readonly target: number;
  /** Records handed to the guard (RecordsIn) and to the business logic (effects). */
  readonly delivered: number;
  readonly processed: number;
  readonly withheld: Readonly<Record<string, number>>;
  readonly retries: number;
}

/** Where the progress goes: stderr in the CLI, a buffer in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width: a line rewritten in place must not wrap. */
  readonly columns?: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Progress on stderr: on a terminal one line rewritten in place a few times a second; otherwise
 * (CI, a pipe, a file) a plain line every few seconds, so logs stay readable. `note` prints a line
 * that stays (phases, faults) above the progress line.
 *
 * @example
 * ```ts
 * const progress = new ProgressDisplay(process.stderr, () => snapshot());
 * progress.note('producing 20,000 records');
 * progress.stop();
 * ```
 */
export class ProgressDisplay {
  readonly #stream: ProgressStream;
  readonly #read: () => ProgressSnapshot;
  readonly #tty: boolean;
  readonly #timer: NodeJS.Timeout;
  #last = { at: performance.now(), processed: 0, delivered: 0 };
  #rate = 0;
  #drawn = false;

  public constructor(stream: ProgressStream, read: () => ProgressSnapshot, intervalMs?: number) {
    this.#stream = stream;
    this.#read = read;
    this.#tty = stream.isTTY === true;
    this.#timer = setInterval(() => this.#tick(), intervalMs ?? (this.#tty ? 250 : 5000));
    this.#timer.unref();
  }

  /** Prints a line that stays. */
  public note(line: string): void {
    this.#clear();
    this.#stream.write(`[local] ${line}\n`);
  }

  /** Stops updating and leaves the last state on its own line. */
  public stop(): void {
    clearInterval(this.#timer);
    this.#tick();
    if (this.#tty && this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }

  #tick(): void {
    const s = this.#read();
    const now = performance.now();
    const seconds = (now - this.#last.at) / 1000;
    if (seconds > 0.2) {
      this.#rate = (s.delivered - this.#last.delivered) / seconds;
      this.#last = { at: now, processed: s.processed, delivered: s.delivered };
    }
    const pct = s.target > 0 ? Math.min(100, (100 * s.committed) / s.target) : 0;
    const tiers = Object.entries(s.withheld)
      .map(([tier, n]) => `${tier} ${fmt(n)}`)
      .join(', ');
    const line =
      `[local] committed ${fmt(s.committed)}/${fmt(s.target)} (${pct.toFixed(0)}%) · ${fmt(this.#rate)} rec/s · ` +
      `delivered ${fmt(s.delivered)} · processed ${fmt(s.processed)} · withheld ${tiers || '0'} · retries ${s.retries}`;
    if (this.#tty) {
      const width = this.#stream.columns ?? 0;
      this.#stream.write(
        `\r\x1b[2K${width > 1 && line.length >= width ? `${line.slice(0, width - 2)}…` : line}`,
      );
      this.#drawn = true;
    } else this.#stream.write(`${line}\n`);
  }

  #clear(): void {
    if (this.#tty && this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
