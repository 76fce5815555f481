import { LIST_HELP, QUARANTINE_EXIT_CODES, QUARANTINE_HELP, REPLAY_HELP } from '../../quarantine/cli-help.ts';
import { type ListOptions, listOptionsOf, replayOptionsOf } from '../../quarantine/cli-options.ts';
import { type Command, UsageError } from '../command.ts';
import { KAFKA_AUTH_OPTIONS } from '../kafka-auth.ts';
import {
  asJson,
  DEFAULT_DEPS,
  type QuarantineCliDeps,
  summaryRows,
  withStore,
} from './quarantine-context.ts';
import { replay } from './quarantine-replay.ts';

export type { QuarantineCliDeps } from './quarantine-context.ts';

/** The options list and replay both take: where the quarantine table is, and --json. */
const TABLE_OPTIONS = {
  'quarantine-table': { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const SELECTION_OPTIONS = {
  group: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
} as const;

async function list(deps: QuarantineCliDeps, options: ListOptions, json: boolean): Promise<number> {
  const { group, limit, since, status } = options;
  const records = await withStore(deps, options, (store) =>
    store.list({ group, limit, ...(since ? { since } : {}), ...(status ? { status } : {}) }),
  );
  const more = records.length === limit;
  if (json) {
    deps.out(asJson({ ok: true, exitCode: QUARANTINE_EXIT_CODES.ok, group, limit, more, records }));
    return QUARANTINE_EXIT_CODES.ok;
  }
  if (records.length > 0) deps.out(summaryRows(records).join('\n'));
  const count = `${records.length} record${records.length === 1 ? '' : 's'}`;
  deps.out(`${count}${more ? ` (limit ${limit}; more may exist)` : ''}`);
  return QUARANTINE_EXIT_CODES.ok;
}

/**
 * `mskguard quarantine list|replay`, over the given dependencies (tests pass their own clients).
 *
 * @example
 * ```ts
 * const code = await runCli(createQuarantineCommands({ out: (l) => lines.push(l) }), ['quarantine', 'list', '--group', 'orders-svc']);
 * ```
 */
export function createQuarantineCommands(overrides: Partial<QuarantineCliDeps> = {}): Command[] {
  const deps: QuarantineCliDeps = { ...DEFAULT_DEPS, ...overrides };
  const bare: Command = {
    path: ['quarantine'],
    summary: 'list and replay records quarantined in probabilistic mode (list, replay)',
    help: QUARANTINE_HELP,
    options: { json: { type: 'boolean' } },
    run: async ({ positionals }) => {
      throw new UsageError(
        positionals.length > 0
          ? `Unknown quarantine command ${positionals[0]}: list or replay.`
          : 'Name a command: list or replay.',
      );
    },
  };
  return [
    bare,
    {
      path: ['quarantine', 'list'],
      summary: 'list records quarantined for a consumer group',
      help: LIST_HELP,
      options: { ...TABLE_OPTIONS, ...SELECTION_OPTIONS, status: { type: 'string' } },
      jsonErrorFields: { records: null },
      run: ({ values, positionals }) =>
        list(deps, listOptionsOf(values, positionals, deps.env), values.json === true),
    },
    {
      path: ['quarantine', 'replay'],
      summary: 're-produce quarantined records to their topic (dry run unless --execute)',
      help: REPLAY_HELP,
      options: {
        ...TABLE_OPTIONS,
        ...SELECTION_OPTIONS,
        id: { type: 'string', multiple: true },
        execute: { type: 'boolean' },
        brokers: { type: 'string' },
        ...KAFKA_AUTH_OPTIONS,
        by: { type: 'string' },
      },
      jsonErrorFields: { outcomes: null },
      run: ({ values, positionals }) =>
        replay(deps, replayOptionsOf(values, positionals, deps.env), values.json === true),
    },
  ];
}

/** `mskguard quarantine list|replay` with the real AWS SDK and kafkajs clients. */
export const quarantineCommands: Command[] = createQuarantineCommands();
