import { RestRequestError } from './errors.ts';

/** One Redis command as it goes to the wire: the name, then every argument as a string. */
export type RedisCommand = readonly [name: string, ...args: string[]];

/**
 * Commands that change the state of the connection they run on. Every REST request shares
 * connections with other requests, so these would leak into them (SELECT, CLIENT REPLY OFF),
 * wedge the connection (SUBSCRIBE, MONITOR) or break the transaction framing of /multi-exec.
 */
const CONNECTION_STATE_COMMANDS = new Set([
  'auth',
  'discard',
  'exec',
  'hello',
  'monitor',
  'multi',
  'psubscribe',
  'psync',
  'punsubscribe',
  'quit',
  'replconf',
  'reset',
  'select',
  'ssubscribe',
  'subscribe',
  'sunsubscribe',
  'sync',
  'unsubscribe',
  'unwatch',
  'watch',
]);

const CONNECTION_STATE_CLIENT_SUBCOMMANDS = new Set(['caching', 'reply', 'tracking']);

/** Commands that may hold their connection for their whole timeout. */
const BLOCKING_COMMANDS = new Set([
  'blmove',
  'blmpop',
  'blpop',
  'brpop',
  'brpoplpush',
  'bzmpop',
  'bzpopmax',
  'bzpopmin',
  'wait',
  'waitaof',
]);

const STREAM_READ_COMMANDS = new Set(['xread', 'xreadgroup']);

/**
 * Validates the JSON body of `POST /`: one command as `["SET", "key", "value"]`.
 * Numbers and booleans are passed to Redis in their JSON text form (`5` -> `"5"`).
 *
 * @example
 * ```ts
 * parseCommand(JSON.parse('["incrby", "counter", 5]')); // ['incrby', 'counter', '5']
 * ```
 */
export function parseCommand(body: unknown, where = 'Request body'): RedisCommand {
  if (!Array.isArray(body) || body.length === 0) {
    throw new RestRequestError(
      400,
      `${where} must be a non-empty JSON array holding one command, e.g. ["SET","key","value"]`,
    );
  }
  const [name, ...args] = body as unknown[];
  if (typeof name !== 'string' || name.length === 0) {
    throw new RestRequestError(400, `${where}: the command name (first element) must be a non-empty string`);
  }
  const command: RedisCommand = [name, ...args.map((arg, i) => argumentText(arg, i + 1, where))];
  assertSupported(command, where);
  return command;
}

/**
 * Validates the JSON body of `POST /pipeline` and `POST /multi-exec`: an array of commands.
 *
 * @example
 * ```ts
 * parseCommandList([['set', 'a', 1], ['get', 'a']]); // [['set', 'a', '1'], ['get', 'a']]
 * ```
 */
export function parseCommandList(body: unknown): RedisCommand[] {
  if (!Array.isArray(body) || body.length === 0) {
    throw new RestRequestError(
      400,
      'Request body must be a non-empty JSON array of commands, e.g. [["SET","k","v"],["GET","k"]]',
    );
  }
  return body.map((entry: unknown, i) => parseCommand(entry, `Command ${i + 1} of the request body`));
}

/** Whether the command can block its connection (BLPOP, WAIT, XREAD … BLOCK …). */
export function isBlockingCommand(command: RedisCommand): boolean {
  const name = command[0].toLowerCase();
  if (BLOCKING_COMMANDS.has(name)) return true;
  return STREAM_READ_COMMANDS.has(name) && command.some((arg, i) => i > 0 && arg.toLowerCase() === 'block');
}

function argumentText(arg: unknown, position: number, where: string): string {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
  const kind = arg === null ? 'null' : Array.isArray(arg) ? 'an array' : typeof arg;
  throw new RestRequestError(
    400,
    `${where}: argument ${position} must be a string or a number, got ${kind}. ` +
      'Serialise objects to a string on the client side.',
  );
}

function assertSupported(command: RedisCommand, where: string): void {
  const name = command[0].toLowerCase();
  const sub = command[1]?.toLowerCase();
  const refused =
    CONNECTION_STATE_COMMANDS.has(name) ||
    (name === 'client' && sub !== undefined && CONNECTION_STATE_CLIENT_SUBCOMMANDS.has(sub));
  if (!refused) return;
  const shown = name === 'client' ? `CLIENT ${sub?.toUpperCase()}` : name.toUpperCase();
  throw new RestRequestError(
    400,
    `${where}: ${shown} is not supported by the local Upstash REST endpoint: it changes the state ` +
      'of a connection that other requests share. Use the /multi-exec route (client.multi()) for transactions.',
  );
}
