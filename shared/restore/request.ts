import { RestoreUsageError } from './errors.ts';
import {
  RESTORE_MODES,
  RESTORE_STRATEGIES,
  type RestoreMode,
  type RestoreRequest,
  type RestoreStrategy,
} from './types.ts';

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
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
]);

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
  if (esmUuid !== undefined && !UUID.test(esmUuid)) {
    throw new RestoreUsageError(`Invalid esmUuid ${esmUuid}: expected the event source mapping's UUID.`);
  }
  const at = text(record, 'at', false);
  if ((strategy === 'history' || strategy === 'timestamp') && at === undefined) {
    throw new RestoreUsageError(
      `Strategy ${strategy} needs --at (ISO-8601 such as 2025-03-01T12:00:00Z, or relative such as -2h).`,
    );
  }
  const requestedBy = text(record, 'requestedBy', false);
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
  };
}
