import { RestoreUsageError } from './errors.ts';
import { checkAtSyntax } from './time.ts';
import {
  type ExplicitOffset,
  RESTORE_MODES,
  RESTORE_STRATEGIES,
  type RestoreMode,
  type RestoreRequest,
  type RestoreStrategy,
  STRATEGIES_NEEDING_AT,
  STRATEGIES_READING_AT,
  UUID_PATTERN,
} from './types.ts';

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const KNOWN = new Set([
  'group',
  'topic',
  'strategy',
  'at',
  'mode',
  'clamp',
  'execute',
  'esmUuid',
  'requestedBy',
  'offsets',
  'undoes',
  'partitions',
]);

const AT_IGNORED_BY: Readonly<Record<string, string>> = {
  checkpoint: 'it restores the current checkpoints',
  file: 'it restores the offsets of --from-file / --offsets',
  undo: 'it restores the offsets from before the restore it undoes',
};

/** Strategies whose targets are given in the request (`offsets`), not read from a source. */
const EXPLICIT = new Set(['file', 'undo']);

function text(input: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw new RestoreUsageError(`Missing ${name}.`);
    return undefined;
  }
  if (typeof value !== 'string')
    throw new RestoreUsageError(`Invalid ${name} ${JSON.stringify(value)}: expected a string.`);
  return value;
}

function flag(input: Record<string, unknown>, name: string): boolean {
  const value = input[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean')
    throw new RestoreUsageError(`Invalid ${name} ${JSON.stringify(value)}: expected true or false.`);
  return value;
}

/**
 * Validates a restore request (a Lambda event, or the CLI's flags mapped to the same shape) and
 * returns it normalized. Messages name the field and the accepted values, like kafkajs admin's.
 *
 * @example
 * ```ts
 * const request = parseRestoreRequest({ group: 'orders', topic: 'orders', strategy: 'checkpoint' });
 * ```
 */
export function parseRestoreRequest(input: unknown): RestoreRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RestoreUsageError(
      'Invalid restore request: expected a JSON object with group, topic and strategy.',
    );
  }
  const record = input as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !KNOWN.has(k));
  if (unknown.length) {
    throw new RestoreUsageError(
      `Unknown field(s) ${unknown.join(', ')}: accepted are ${[...KNOWN].join(', ')}.`,
    );
  }
  const group = text(record, 'group', true)!;
  const topic = text(record, 'topic', true)!;
  if (!TOPIC.test(topic))
    throw new RestoreUsageError(`Invalid topic ${topic}: Kafka topic names use [a-zA-Z0-9._-], 1-249 chars.`);
  const strategy = text(record, 'strategy', true)!;
  if (!(RESTORE_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new RestoreUsageError(`Invalid strategy ${strategy}: one of ${RESTORE_STRATEGIES.join(', ')}.`);
  }
  const mode = text(record, 'mode', false) ?? RESTORE_MODES.recover;
  if (!Object.values(RESTORE_MODES).includes(mode as RestoreMode)) {
    throw new RestoreUsageError(`Invalid mode ${mode}: one of ${Object.values(RESTORE_MODES).join(', ')}.`);
  }
  const esmUuid = text(record, 'esmUuid', false);
  if (esmUuid !== undefined && !UUID_PATTERN.test(esmUuid)) {
    throw new RestoreUsageError(`Invalid esmUuid ${esmUuid}: expected the event source mapping's UUID.`);
  }
  const at = text(record, 'at', false);
  if (STRATEGIES_NEEDING_AT.has(strategy as RestoreStrategy) && at === undefined) {
    throw new RestoreUsageError(
      `Strategy ${strategy} needs --at (ISO-8601 such as 2025-03-01T12:00:00Z, or relative such as --at=-2h or --at 2h).`,
    );
  }
  if (at !== undefined && !STRATEGIES_READING_AT.has(strategy as RestoreStrategy)) {
    throw new RestoreUsageError(
      `Strategy ${strategy} does not read --at: ${AT_IGNORED_BY[strategy] ?? 'its targets are given'}. For a point ` +
        'in time use history or timestamp --at T (or consumer-offsets / auto --at T).',
    );
  }
  // Spelling only: a bad --at fails here, before the restore connects to anything.
  if (at !== undefined) checkAtSyntax(at);
  const requestedBy = text(record, 'requestedBy', false);
  const offsets = explicitOffsets(record.offsets, strategy);
  const undoes = text(record, 'undoes', strategy === 'undo');
  if (undoes !== undefined && strategy !== 'undo')
    throw new RestoreUsageError(`undoes is only accepted with strategy undo, not ${strategy}.`);
  // Checked before the audit table is read: a typo would scan all of it to answer "not found".
  if (undoes !== undefined && !UUID_PATTERN.test(undoes))
    throw new RestoreUsageError(
      `Invalid undoes ${JSON.stringify(undoes)}: expected the restoreId (a UUID) of the restore to undo, as its ` +
        'answer and the audit table name it.',
    );
  const partitions = partitionList(record.partitions);
  if (partitions !== undefined && mode === RESTORE_MODES.reprocess)
    throw new RestoreUsageError(
      `partitions cannot be combined with mode reprocess: it bumps the dedup epoch of the whole group ${group}, ` +
        'which forgets what every partition processed. Restore the partitions in recover mode (the default): ' +
        'records processed before are withheld, the others are processed.',
    );
  return {
    group,
    topic,
    strategy: strategy as RestoreStrategy,
    mode: mode as RestoreMode,
    clamp: flag(record, 'clamp'),
    execute: flag(record, 'execute'),
    ...(at === undefined ? {} : { at }),
    ...(esmUuid === undefined ? {} : { esmUuid }),
    ...(requestedBy === undefined ? {} : { requestedBy }),
    ...(offsets === undefined ? {} : { offsets }),
    ...(undoes === undefined ? {} : { undoes }),
    ...(partitions === undefined ? {} : { partitions }),
  };
}

/** `partitions`: a non-empty list of distinct partition numbers, sorted. */
function partitionList(value: unknown): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0)
    throw new RestoreUsageError(
      `Invalid partitions ${JSON.stringify(value)}: expected a non-empty list such as [0, 2].`,
    );
  const seen = new Set<number>();
  for (const [i, partition] of value.entries()) {
    if (!Number.isSafeInteger(partition) || partition < 0)
      throw new RestoreUsageError(
        `Invalid partitions[${i}] ${JSON.stringify(partition)}: expected an integer >= 0.`,
      );
    if (seen.has(partition)) throw new RestoreUsageError(`partitions names partition ${partition} twice.`);
    seen.add(partition);
  }
  return [...seen].sort((a, b) => a - b);
}

function explicitOffsets(value: unknown, strategy: string): ExplicitOffset[] | undefined {
  if (!EXPLICIT.has(strategy)) {
    if (value === undefined || value === null) return undefined;
    throw new RestoreUsageError(`offsets are only accepted with strategy file or undo, not ${strategy}.`);
  }
  // An undo without offsets reads them from the audit item of `undoes` when it is planned.
  if (strategy === 'undo' && (value === undefined || value === null)) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw new RestoreUsageError(
      `Strategy ${strategy} needs offsets: [{"partition": 0, "offset": 42}, ...] (the CLI reads them from --from-file).`,
    );
  }
  const seen = new Set<number>();
  return value.map((entry: unknown, i) => {
    const { partition, offset } = (entry ?? {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(partition) || (partition as number) < 0)
      throw new RestoreUsageError(
        `Invalid offsets[${i}].partition ${JSON.stringify(partition)}: expected an integer >= 0.`,
      );
    if (!Number.isSafeInteger(offset) || (offset as number) < 0)
      throw new RestoreUsageError(
        `Invalid offsets[${i}].offset ${JSON.stringify(offset)}: expected an integer >= 0.`,
      );
    if (seen.has(partition as number))
      throw new RestoreUsageError(`offsets name partition ${partition} twice.`);
    seen.add(partition as number);
    return { partition: partition as number, offset: offset as number };
  });
}
