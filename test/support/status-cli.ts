// The status CLI's io for the suites on the local stack: output captured, status's clock movable
// (an old checkpoint), and `--watch` rounds counted.
import type { StatusCliIo } from '#shared/cli/commands/status.ts';
import { openStatusClients } from '#shared/status/clients.ts';

/** What a status test varies: the brokers, a TTY, the clock moved `aheadMs` forward, watch rounds. */
export interface StatusIoOptions {
  readonly env: { readonly KAFKA_BROKERS: string; readonly DYNAMODB_ENDPOINT: string };
  readonly tty?: boolean;
  readonly aheadMs?: number;
  /** How many rounds `--watch` runs. @default 1 */
  readonly rounds?: number;
}

/** The status CLI's io on the real clients, with stdout, stderr and the watch sleeps counted in `out`. */
export function capturedStatusIo(options: StatusIoOptions): {
  out: { stdout: string; stderr: string; sleeps: number };
  io: StatusCliIo;
} {
  const out = { stdout: '', stderr: '', sleeps: 0 };
  let rounds = options.rounds ?? 1;
  const ahead = options.aheadMs ?? 0;
  const io: StatusCliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: { KAFKA_BROKERS: options.env.KAFKA_BROKERS, DYNAMODB_ENDPOINT: options.env.DYNAMODB_ENDPOINT },
    isTty: options.tty === true,
    openClients: async (config) => {
      const clients = await openStatusClients(config);
      return { ...clients, deps: { ...clients.deps, clock: () => new Date(Date.now() + ahead) } };
    },
    sleep: async () => {
      out.sleeps++;
    },
    watching: () => --rounds > 0,
  };
  return { out, io };
}
