import { kafkaAuthHelp } from '../cli/kafka-auth.ts';
import { RESTORE_EXIT_CODES as E } from './errors.ts';
import {
  type RestoreStrategy,
  STRATEGIES_NEEDING_AT,
  STRATEGIES_READING_AT,
  UNDO_REFUSED_FLAGS,
} from './types.ts';

/** What each strategy reads, in one line (the command list) and in a paragraph (its --help). */
export const STRATEGY_TEXT: Readonly<
  Record<RestoreStrategy, { summary: string; about: string; example: string }>
> = {
  checkpoint: {
    summary: 'restore to the DynamoDB checkpoints (the watermark of processed records)',
    about: `Targets each partition's current checkpoint (nextOffset): every record below it was processed by the
guarded handler. The exact choice after lost offsets when the checkpoints are intact.`,
    example: 'mskguard restore checkpoint --group orders-svc --topic orders',
  },
  history: {
    summary: 'restore to the checkpoints as they were at --at',
    about: `Targets, per partition, the last checkpoint history item written at or before --at (history items
live 30 days by default). For "the consumer was fine at 09:00, then a bad deploy skipped records".`,
    example: 'mskguard restore history --group orders-svc --topic orders --at 2025-03-01T09:00:00Z',
  },
  timestamp: {
    summary: 'restore to the first record produced at or after --at (broker time index)',
    about: `Targets, per partition, the first offset whose record timestamp is >= --at (ListOffsets by time).
Knows when records were produced, not whether they were processed: use it when no checkpoint or
commit is left. An --at before the earliest retained record targets the log start (and says so).`,
    example: 'mskguard restore timestamp --group orders-svc --topic orders --at=-2h',
  },
  'consumer-offsets': {
    summary: "restore to the group's own last commits at or before --at (decodes __consumer_offsets)",
    about: `Scans the __consumer_offsets partition that holds the group, from its start to the high watermark
read at start, decodes the OffsetCommit records (tombstones and group metadata are skipped) and
targets, per partition, the group's last commit at or before --at (default: now, i.e. the last
commits before the loss, while compaction has not removed them). Progress goes to stderr.`,
    example: 'mskguard restore consumer-offsets --group orders-svc --topic orders --at=-30m',
  },
  auto: {
    summary: 'pick the best available source per partition, and say why',
    about: `Per partition, the first source whose target lies within the broker's [low, high] wins, in this
order: checkpoint, history --at, consumer-offsets --at, timestamp --at. A source is consulted only
while some partition is still open (so __consumer_offsets is not scanned when the checkpoints cover
every partition). Without --at, history and timestamp are skipped (timestamp "now" would
skip every unprocessed record) and consumer-offsets reads up to now. The "why" section lists every
source considered per partition, what it said and why it was chosen or rejected.`,
    example: 'mskguard restore auto --group orders-svc --topic orders --at=-1h',
  },
  file: {
    summary:
      'restore to the offsets of a kafka-consumer-groups CSV (--from-file) or given inline (--offsets)',
    about: `Targets the offsets listed in --from-file, the CSV that kafka-consumer-groups --reset-offsets
--export writes (topic,partition,offset per line, no header; group,topic,partition,offset is accepted
for this group). The file must name every partition of the topic once (with --partitions, those
partitions; its other lines are ignored). Or give the targets inline: --offsets 0=42,3=7 restores
partitions 0 and 3 only. Offsets outside the broker's [low, high] are refused unless --clamp. Reads
no DynamoDB table.`,
    example: 'mskguard restore file --group orders-svc --topic orders --from-file reset.csv',
  },
  undo: {
    summary: 'put back the offsets an executed restore found committed (restore undo <restoreId>)',
    about: `Reads the audit item of <restoreId> from --audit-table and targets, per partition, the offset the
group had committed before that restore. It must be a restore of --group and --topic that
changed offsets. Dry run by default; --execute has the same safety as any restore (ESM disabled,
group Empty, verify, re-enable) and is audited itself (strategy undo, undoes <restoreId>).`,
    example: 'mskguard restore undo 0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11 --group orders-svc --topic orders',
  },
};

const OPTIONS = `Options:
  --group ID              consumer group whose offsets are restored (required)
  --topic NAME            topic (required)
  --at TIME               ISO-8601 (2025-03-01T12:00:00Z; no offset = UTC) or relative, in the past:
                          --at=-30m, --at 2h, --at=-1d ('--at -2h' would read as an option).
                          Up to 5 minutes in the future is taken as clock skew (now, with a warning);
                          further ahead is refused.
  --mode MODE             recover (default): records between the restored offset and the checkpoint are
                          delivered again and the watermark withholds those already processed: no
                          duplicate effects; offsets the checkpoint records as skipped (a batch given
                          up after its retries) are processed, and the dry run lists them.
                          reprocess: also bumps the group's dedup epoch, so the handler processes them
                          again (for a handler bug fixed since).
  --clamp                 clamp targets outside the broker's [low, high] into it (shown in the table)
                          instead of refusing
  --execute               apply the plan (default: dry run, changes nothing)
  --esm-uuid UUID         Lambda event source mapping consuming as this group: --execute disables it,
                          waits until it is Disabled and the group Empty, and re-enables it afterwards.
                          Without it the group must already have no members.
  --json                  print the plan/result as JSON (progress and summary stay on stderr)
  --export FILE           also write the plan's targets as kafka-consumer-groups CSV (topic,partition,offset),
                          for: kafka-consumer-groups --reset-offsets --from-file FILE --execute. Not
                          written when a --via-lambda answer left out the rows (it says where they are).
                          An undo refused for a restore without a result writes the offsets from before
                          it there (for restore file --from-file) instead of printing them.
  --partitions LIST       restore only these partitions (0,2,4-6); the others keep their committed
                          offsets. Recover mode only (reprocess bumps the whole group's epoch).
  --from-file FILE        the kafka-consumer-groups CSV to restore to
  --offsets P=O,...       the targets inline, instead of --from-file: 0=42,3=7 restores partitions 0
                          and 3 to offsets 42 and 7
  --via-lambda NAME       run in the restore Lambda (inside the VPC) and print its answer; invoked in
                          --region (or AWS_REGION)
  --brokers LIST          comma-separated bootstrap brokers (env KAFKA_BROKERS or
                          MSKGUARD_KAFKA_BROKERS)
  --checkpoint-table T    checkpoints table (env MSKGUARD_CHECKPOINT_TABLE); read by checkpoint, history,
                          auto, and written by --mode reprocess --execute; the others need none (with
                          it, their recover dry run also lists the skipped offsets it gets processed)
  --audit-table T         audit table, required by --execute and by undo (env MSKGUARD_AUDIT_TABLE)
  --region R              AWS region (env AWS_REGION)
  --endpoint URL          DynamoDB endpoint of the tables, e.g. DynamoDB Local (env DYNAMODB_ENDPOINT);
                          needs no region or credentials when none are configured
${kafkaAuthHelp(26)}
Environment: MSKGUARD_DEBUG=1 (an error's stack trace after its one-line message).

Execute = disable the ESM (if any) → wait Disabled → wait until the group is Empty → commit the
  targets as a non-member (one OffsetCommit; the broker refuses it if a member joined) → verify with fetchOffsets → bump the epoch (reprocess) → re-enable the ESM → complete the audit item.
  A failure after the offsets may have changed leaves the ESM DISABLED on purpose (the message says
  what to check and how to enable it); a failure before that re-enables it.

Exit codes: ${E.ok} done (or dry run executable), ${E.usage} usage, ${E.refused} refused (nothing changed; a dry run that
  would be refused too), ${E.failed} failed while executing (read the message), ${E.error} unexpected error.`;

/** The full `--help` of `mskguard restore <strategy>`. */
export function strategyHelp(strategy: RestoreStrategy): string {
  const text = STRATEGY_TEXT[strategy];
  const at = STRATEGIES_NEEDING_AT.has(strategy)
    ? ' --at TIME'
    : strategy === 'file'
      ? ' (--from-file FILE | --offsets P=O,...)'
      : STRATEGIES_READING_AT.has(strategy)
        ? ' [--at TIME]'
        : '';
  const usage = strategy === 'undo' ? 'restore undo <restoreId>' : `restore ${strategy}`;
  return `Usage: mskguard ${usage} --group ID --topic NAME${at} [options]

${text.about}

${optionsOf(strategy)}

Examples:
  ${text.example}                      # dry run: the table, nothing changed
  ${text.example} --execute --esm-uuid 6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88
  ${text.example} --json
  ${text.example} --via-lambda mskguard-restore
`;
}

/**
 * Options a strategy refuses, left out of its help: undo's (types.ts), --from-file and --offsets
 * but for file (cli-options.ts refuses them), and --at where the strategy has no point in time
 * (request.ts refuses it there).
 */
function notReadBy(strategy: RestoreStrategy): readonly string[] {
  if (strategy === 'undo') return UNDO_REFUSED_FLAGS.map((flag) => `--${flag} `);
  return [
    ...(strategy === 'file' ? [] : ['--from-file ', '--offsets ']),
    ...(STRATEGIES_READING_AT.has(strategy) ? [] : ['--at ']),
  ];
}

/** The options block for one strategy, without the options it refuses. */
function optionsOf(strategy: RestoreStrategy): string {
  const refused = notReadBy(strategy);
  if (refused.length === 0) return OPTIONS;
  const kept: string[] = [];
  let skipping = false;
  for (const line of OPTIONS.split('\n')) {
    // An option starts at two spaces and "--"; its continuation lines are indented further.
    if (line.startsWith('  --')) skipping = refused.some((o) => line.startsWith(`  ${o}`));
    else if (!line.startsWith('    ')) skipping = false;
    if (!skipping) kept.push(line);
  }
  return kept.join('\n');
}

/** `--help` of the bare `mskguard restore`. */
export const RESTORE_HELP = `Usage: mskguard restore <strategy> --group ID --topic NAME [options]

Puts a consumer group's committed offsets back after they were lost or went wrong. Prints a
dry-run table (partition, committed, low..high, target, delta, source) unless --execute is given.

Strategies:
${(Object.keys(STRATEGY_TEXT) as RestoreStrategy[]).map((s) => `  ${s.padEnd(17)} ${STRATEGY_TEXT[s].summary}`).join('\n')}

Run 'mskguard restore <strategy> --help' for its options and examples. Runbook: node_modules/mskguard/docs/runbooks/restore.md`;
