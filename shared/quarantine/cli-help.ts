import { kafkaAuthHelp } from '../cli/kafka-auth.ts';

/** Exit codes of `mskguard quarantine list|replay`, as each command's help states them. */
export const QUARANTINE_EXIT_CODES = { ok: 0, error: 1, usage: 2, incomplete: 3 } as const;

const E = QUARANTINE_EXIT_CODES;

/** Where the quarantine table is: the options list and replay share. */
const TABLE_HELP = `  --quarantine-table T  quarantine table (env MSKGUARD_QUARANTINE_TABLE); --table T is accepted too
  --region R            AWS region (env AWS_REGION)
  --endpoint URL        DynamoDB endpoint, e.g. DynamoDB Local (env DYNAMODB_ENDPOINT); needs no region or
                        credentials when none are configured
  --json                print the answer as JSON on stdout; an error as {"ok":false,"exitCode":N,"error":{...}}`;

/** Which records: the options list and a group replay share. */
const SELECTION_HELP = `  --since WHEN          only records quarantined at or after: an ISO-8601 time, or 30m, 12h, 7d ago
  --limit N             at most N records, oldest first (default 50)`;

const ENVIRONMENT = "Environment: MSKGUARD_DEBUG=1 (an error's stack trace after its one-line message).";

/** `mskguard quarantine --help`: the subcommands. */
export const QUARANTINE_HELP = `Usage: mskguard quarantine <list|replay> [options]

Records a guarded function quarantined (probabilistic mode: a Bloom hit the exact tier cannot
confirm; or a record without an idempotency key) wait in the quarantine table for an operator.

Commands:
  mskguard quarantine list     list a group's quarantined records, oldest first
  mskguard quarantine replay   re-produce quarantined records to their topic (dry run unless --execute)

Run 'mskguard quarantine <command> --help' for a command's options.`;

/** `mskguard quarantine list --help`. */
export const LIST_HELP = `Usage: mskguard quarantine list --group ID [--status S] [--since WHEN] [--limit N] [--json] [options]

Lists a group's quarantined records, oldest first, from the quarantine table's byGroup index:
group, record (topic-partition@offset), quarantine time, reason, status. The id of a record for
'replay --id' is <group>/<record>. Changes nothing.

Options:
  --group ID            consumer group whose quarantine to read (required)
  --status S            quarantined, replayed or all (default all)
${SELECTION_HELP}
${TABLE_HELP}
${ENVIRONMENT}

JSON answer: {"ok":true,"exitCode":0,"group":...,"limit":N,"more":bool,"records":[{"id","group","topic",
  "partition","offset","quarantinedAt","reason","status","idempotencyKey"}...]} ("more": the limit was
  reached, more records may exist).

Exit codes: ${E.ok} listed (even none), ${E.usage} usage, ${E.error} error (table missing or unreadable).

Examples:
  mskguard quarantine list --group orders-svc --since 24h
  mskguard quarantine list --group orders-svc --status quarantined --quarantine-table prod-Quarantine --limit 200
  mskguard quarantine list --group orders-svc --json | jq -r '.records[].id'`;

/** `mskguard quarantine replay --help`. */
export const REPLAY_HELP = `Usage: mskguard quarantine replay (--group ID [--since WHEN] [--limit N] | --id ID...) [--execute --brokers LIST] [--json] [options]

Re-produces quarantined records to their original topic and partition with the same key, value and
headers, plus a header 'mskguard-replay: <id>', then marks them REPLAYED (who, when, new offset).
Replaying writes to production topics, so without --execute it only prints what it would do.
Records already replayed, or stored truncated (payload over the 400 KB item limit), are skipped.

Options:
  --group ID            replay the group's records in status QUARANTINED (with --since, --limit)
  --id ID               a record to replay, as printed by list: <group>/<topic>-<partition>@<offset>
                        (repeatable; every one must exist)
${SELECTION_HELP}
  --execute             produce for real (default: dry run)
  --brokers LIST        bootstrap brokers host:port[,host:port] (env KAFKA_BROKERS or MSKGUARD_KAFKA_BROKERS)
${kafkaAuthHelp(24)}
  --by NAME             recorded as who replayed (default: the OS user)
${TABLE_HELP}
${ENVIRONMENT}

JSON answer: {"ok":bool,"exitCode":N,"execute":bool,"selected":N,"replayed":N,"skipped":N,"raced":N,
  "outcomes":[{"id","outcome":{"status":"replayed"|"would-replay"|"skipped"|"raced","to"?,"reason"?}}...]}
  (a dry run's outcomes are would-replay or skipped).

Exit codes: ${E.ok} every selected record replayed (a dry run: always), ${E.incomplete} some skipped or raced,
  ${E.usage} usage (a malformed --id included), ${E.error} error (an unknown --id, the table or brokers unreachable).

Examples:
  mskguard quarantine replay --group orders-svc --since 2h
  mskguard quarantine replay --group orders-svc --since 2h --execute --brokers b-1.msk:9098 --kafka-auth iam
  mskguard quarantine replay --id orders-svc/orders-3@1234 --execute --brokers localhost:9092 --json`;
