import { UsageError } from '../cli/command.ts';
import { brokersOf, endpointOf, type Flags, regionOf, str } from '../cli/flags.ts';
import { type KafkaAuthSettings, kafkaAuthOf } from '../cli/kafka-auth.ts';
import { parseQuarantineId } from './id.ts';
import { QuarantineStatus } from './types.ts';

/** Where the quarantine table is. */
export interface QuarantineTableOptions {
  readonly table: string;
  readonly region?: string;
  /** DynamoDB Local and the like: no region or credentials needed when none are configured. */
  readonly endpoint?: string;
}

/** What `mskguard quarantine list` reads. */
export interface ListOptions extends QuarantineTableOptions {
  readonly group: string;
  readonly limit: number;
  readonly since?: Date;
  /** Undefined: every status. */
  readonly status?: QuarantineStatus;
}

/** Which records `mskguard quarantine replay` selects, and where it produces them. */
export interface ReplayOptions extends QuarantineTableOptions {
  readonly selection:
    | { readonly ids: readonly string[] }
    | { readonly group: string; readonly limit: number; readonly since?: Date };
  /** Set with --execute; a dry run connects to no broker. */
  readonly produce?: KafkaAuthSettings & { readonly brokers: readonly string[]; readonly by?: string };
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function sinceOf(flags: Flags, now: number): Date | undefined {
  const raw = str(flags, 'since');
  if (raw === undefined) return undefined;
  const relative = /^(\d+)([mhd])$/.exec(raw);
  if (relative) return new Date(now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  const at = new Date(raw);
  if (Number.isNaN(at.getTime()))
    throw new UsageError(`--since ${raw}: expected an ISO-8601 time or 30m, 12h, 7d.`);
  return at;
}

function limitOf(flags: Flags): number {
  const raw = str(flags, 'limit');
  const limit = Number(raw ?? 50);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit ${raw}: expected a whole number >= 1.`);
  return limit;
}

/** `--quarantine-table` (as `status` names it), or `--table`, its name before they were aligned. */
function tableOptionsOf(flags: Flags, env: NodeJS.ProcessEnv): QuarantineTableOptions {
  const table = str(flags, 'quarantine-table') ?? str(flags, 'table') ?? env.MSKGUARD_QUARANTINE_TABLE;
  if (!table)
    throw new UsageError(
      'No quarantine table: pass --quarantine-table <name> or set MSKGUARD_QUARANTINE_TABLE.',
    );
  const region = regionOf(flags, env);
  const endpoint = endpointOf(flags, env);
  return { table, ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) };
}

function noPositionals(positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`Unexpected argument(s): ${positionals.join(' ')}`);
}

/** The options of `mskguard quarantine list`, checked before any call. */
export function listOptionsOf(
  flags: Flags,
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
  now = Date.now(),
): ListOptions {
  noPositionals(positionals);
  const group = str(flags, 'group');
  if (!group) throw new UsageError('--group <id> is required.');
  const raw = str(flags, 'status') ?? 'all';
  const status = raw.toUpperCase();
  if (status !== 'ALL' && status !== QuarantineStatus.Quarantined && status !== QuarantineStatus.Replayed)
    throw new UsageError(`--status ${raw}: quarantined, replayed or all.`);
  const since = sinceOf(flags, now);
  return {
    ...tableOptionsOf(flags, env),
    group,
    limit: limitOf(flags),
    ...(since ? { since } : {}),
    ...(status === 'ALL' ? {} : { status }),
  };
}

/**
 * The options of `mskguard quarantine replay`, checked before any call: a malformed --id or a
 * missing --brokers is a usage error, not a failure after the table was read.
 */
export function replayOptionsOf(
  flags: Flags,
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
  now = Date.now(),
): ReplayOptions {
  noPositionals(positionals);
  const table = tableOptionsOf(flags, env);
  const ids = (flags.id as string[] | undefined) ?? [];
  for (const id of ids) {
    try {
      parseQuarantineId(id);
    } catch (error) {
      throw new UsageError((error as Error).message, { cause: error });
    }
  }
  const group = str(flags, 'group');
  if (ids.length === 0 && !group)
    throw new UsageError('Name the records to replay: --group <id> (with --since/--limit) or --id <id>.');
  const since = sinceOf(flags, now);
  const selection =
    ids.length > 0 ? { ids } : { group: group as string, limit: limitOf(flags), ...(since ? { since } : {}) };
  if (flags.execute !== true) return { ...table, selection };
  const brokers = brokersOf(
    flags,
    env,
    '--execute needs --brokers host:port[,host:port] (or KAFKA_BROKERS).',
  );
  const auth = kafkaAuthOf(flags, env, table.region);
  const by = str(flags, 'by');
  return { ...table, selection, produce: { brokers, ...auth, ...(by ? { by } : {}) } };
}
