// The restore commands' command line: flags, the request they ask for and the clients' settings.
// Light imports only (`mskguard --help` must not load kafkajs or the AWS SDK).
import { readFile } from 'node:fs/promises';
import { cliTableHints } from '../aws/table-errors.ts';
import { UsageError } from '../cli/command.ts';
import { brokersOf, endpointOf, type Flags, groupAndTopicOf, regionOf, str } from '../cli/flags.ts';
import { kafkaAuthOf } from '../cli/kafka-auth.ts';
import type { RestoreClientsConfig } from './clients.ts';
import type { RestoreInputNames } from './input-names.ts';
import { parseOffsetsCsv } from './offsets-csv.ts';
import { parseRestoreRequest } from './request.ts';
import type { RestoreRequest, RestoreStrategy } from './types.ts';

/** Strategies that read the checkpoint table (the others plan and dry-run without one). */
const READS_CHECKPOINTS: ReadonlySet<RestoreStrategy> = new Set(['checkpoint', 'history', 'auto']);

/** What to check when no broker answers (BrokersUnreachableError), in the command line's terms. */
const BROKERS_HINT =
  'Check --brokers (or KAFKA_BROKERS, MSKGUARD_KAFKA_BROKERS), --kafka-auth (or KAFKA_AUTH) and that this ' +
  'machine reaches the brokers (MSK brokers are inside the VPC: run from there, through a bastion, or with ' +
  '--via-lambda).';

/** The restore commands' flags (node:util parseArgs). */
export const RESTORE_OPTIONS = {
  group: { type: 'string' },
  topic: { type: 'string' },
  at: { type: 'string' },
  mode: { type: 'string' },
  clamp: { type: 'boolean' },
  execute: { type: 'boolean' },
  'esm-uuid': { type: 'string' },
  json: { type: 'boolean' },
  'via-lambda': { type: 'string' },
  brokers: { type: 'string' },
  'checkpoint-table': { type: 'string' },
  'audit-table': { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  export: { type: 'string' },
  'from-file': { type: 'string' },
  offsets: { type: 'string' },
  partitions: { type: 'string' },
} as const;

/** The restore request a command line asks for (usage errors before any network call). */
export async function requestOf(
  strategy: RestoreStrategy,
  flags: Flags,
  env: NodeJS.ProcessEnv,
  undoes: string | undefined,
): Promise<RestoreRequest> {
  const { group, topic } = groupAndTopicOf(flags);
  const fromFile = str(flags, 'from-file');
  if (fromFile !== undefined && strategy !== 'file')
    throw new UsageError(
      `--from-file is read by strategy file: mskguard restore file --from-file ${fromFile}`,
    );
  const inline = str(flags, 'offsets');
  if (inline !== undefined && strategy !== 'file')
    throw new UsageError(`--offsets is read by strategy file: mskguard restore file --offsets ${inline}`);
  if (strategy === 'file' && fromFile !== undefined && inline !== undefined)
    throw new UsageError(
      '--from-file and --offsets cannot be combined: give the targets in the CSV file or inline, not both.',
    );
  if (strategy === 'file' && fromFile === undefined && inline === undefined)
    throw new UsageError(
      'Strategy file needs either --from-file FILE (a kafka-consumer-groups CSV) or --offsets P=O[,P=O...].',
    );
  const offsets =
    inline !== undefined
      ? inlineOffsets(inline)
      : fromFile === undefined
        ? undefined
        : await readOffsetsFile(fromFile, { group, topic });
  const listed = str(flags, 'partitions');
  // --offsets names its partitions with their targets: those are the ones restored.
  const partitions =
    listed !== undefined
      ? partitionsOf(listed)
      : inline !== undefined
        ? offsets?.map((o) => o.partition)
        : undefined;
  return parseRestoreRequest({
    group,
    topic,
    strategy,
    at: str(flags, 'at'),
    mode: str(flags, 'mode'),
    clamp: flags.clamp === true,
    execute: flags.execute === true,
    esmUuid: str(flags, 'esm-uuid'),
    requestedBy: env.USER ?? env.USERNAME ?? 'unknown',
    ...(offsets ? { offsets } : {}),
    ...(undoes === undefined ? {} : { undoes }),
    ...(partitions === undefined ? {} : { partitions }),
  });
}

/**
 * `--partitions 0,2,4-6`: numbers and inclusive ranges. A partition named twice (`0,0`, `1,0-2`) is
 * refused here, in the flag's name (the request would name its `partitions` field).
 */
function partitionsOf(text: string): number[] {
  const partitions: number[] = [];
  const seen = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (!match || last < first || last - first > 10_000)
      throw new UsageError(
        `Invalid --partitions ${text}: expected partition numbers and ranges such as 0,2,4-6.`,
      );
    for (let p = first; p <= last; p++) {
      if (seen.has(p)) throw new UsageError(`Invalid --partitions ${text}: partition ${p} is named twice.`);
      seen.add(p);
      partitions.push(p);
    }
  }
  return partitions;
}

/**
 * `--offsets 0=42,3=7`: a target per partition, as a one-line CSV would give. A partition named
 * twice is refused here, in the flag's name (the request would name its `offsets` field).
 */
function inlineOffsets(text: string): { partition: number; offset: number }[] {
  const seen = new Set<number>();
  return text.split(',').map((part) => {
    const match = /^\s*(\d+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match)
      throw new UsageError(`Invalid --offsets ${text}: expected PARTITION=OFFSET pairs such as 0=42,3=7.`);
    const partition = Number(match[1]);
    if (seen.has(partition))
      throw new UsageError(`Invalid --offsets ${text}: partition ${partition} is named twice.`);
    seen.add(partition);
    return { partition, offset: Number(match[2]) };
  });
}

async function readOffsetsFile(file: string, target: { group: string; topic: string }) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read --from-file ${file}: ${(error as Error).message}`);
  }
  return parseOffsetsCsv(text, target);
}

/** Where the restore connects, from flags and environment; usage errors name the flag to pass. */
export function configOf(
  request: RestoreRequest,
  flags: Flags,
  io: { readonly env: NodeJS.ProcessEnv; readonly stderr: (text: string) => void },
): RestoreClientsConfig {
  const env = io.env;
  const checkpointTable =
    str(flags, 'checkpoint-table') ?? env.MSKGUARD_CHECKPOINT_TABLE ?? env.CHECKPOINT_TABLE;
  const reprocess = request.execute && request.mode === 'reprocess';
  if (!checkpointTable && (READS_CHECKPOINTS.has(request.strategy) || reprocess)) {
    const why = reprocess
      ? '--mode reprocess --execute bumps the dedup epoch in it'
      : `strategy ${request.strategy} reads it`;
    throw new UsageError(
      `No checkpoint table (${why}): pass --checkpoint-table or set MSKGUARD_CHECKPOINT_TABLE. Strategies timestamp, ` +
        'consumer-offsets and file need none.',
    );
  }
  const auditTable = str(flags, 'audit-table') ?? env.MSKGUARD_AUDIT_TABLE ?? env.AUDIT_TABLE;
  if ((request.execute || request.strategy === 'undo') && !auditTable) {
    throw new UsageError(
      request.strategy === 'undo'
        ? 'undo reads the restore from the audit table: pass --audit-table (or MSKGUARD_AUDIT_TABLE).'
        : `--execute needs --audit-table (or MSKGUARD_AUDIT_TABLE): every executed restore is audited, even when ` +
            `strategy ${request.strategy} needs no table to plan. Without --execute it is a dry run and needs none.`,
    );
  }
  // The brokers after the tables: the first error names what this strategy needs (undo's audit table).
  const brokers = brokersOf(
    flags,
    env,
    'No brokers: pass --brokers host:port[,...] or set KAFKA_BROKERS (or MSKGUARD_KAFKA_BROKERS).',
  );
  const region = regionOf(flags, env);
  const endpoint = endpointOf(flags, env);
  return {
    brokers,
    ...kafkaAuthOf(flags, env, region),
    ...(checkpointTable ? { checkpointTable } : {}),
    withLambda: request.esmUuid !== undefined,
    progress: (line) => io.stderr(`[restore] ${line}\n`),
    brokersHint: BROKERS_HINT,
    checkpointTableHints: cliTableHints('--checkpoint-table', 'MSKGUARD_CHECKPOINT_TABLE'),
    auditTableHints: cliTableHints('--audit-table', 'MSKGUARD_AUDIT_TABLE'),
    ...(region ? { region } : {}),
    ...(auditTable ? { auditTable } : {}),
    ...(endpoint ? { dynamodbEndpoint: endpoint } : {}),
  };
}

/**
 * What a local restore calls AWS for, as the command line names it (the region check before it
 * connects): the checkpoint table unless a reprocess dry run of a strategy that needs none (recover
 * reads its skipped offsets), the audit table when executing or undoing, the ESM it toggles.
 */
export function awsCallsOf(
  request: RestoreRequest,
  config: Pick<RestoreClientsConfig, 'checkpointTable' | 'auditTable' | 'dynamodbEndpoint'>,
): { tables: string[]; esmUuid?: string; endpoint?: string } {
  const { checkpointTable, auditTable } = config;
  const readsCheckpoints =
    READS_CHECKPOINTS.has(request.strategy) || request.mode !== 'reprocess' || request.execute;
  const readsAudit = request.execute || request.strategy === 'undo';
  return {
    tables: [
      ...(checkpointTable && readsCheckpoints ? [`--checkpoint-table ${checkpointTable}`] : []),
      ...(auditTable && readsAudit ? [`--audit-table ${auditTable}`] : []),
    ],
    ...(request.esmUuid && request.execute ? { esmUuid: request.esmUuid } : {}),
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
  };
}

/** How restore messages name the inputs of this command line: by the flags that gave them. */
export function inputNamesOf(
  flags: Flags,
  config: Pick<RestoreClientsConfig, 'auditTable'>,
): RestoreInputNames {
  return {
    // --offsets names the partitions it restores (requestOf): that is the flag to check.
    partitions:
      str(flags, 'partitions') === undefined && str(flags, 'offsets') !== undefined
        ? '--offsets'
        : '--partitions',
    auditTable: `--audit-table (or MSKGUARD_AUDIT_TABLE${config.auditTable ? `; this run read ${config.auditTable}` : ''})`,
  };
}
