/**
 * A RESP2 reply as ioredis delivers it with Buffer replies and `stringNumbers: true`:
 * bulk and status strings are Buffers (bytes kept exact), integers are decimal strings
 * (64-bit values kept exact), nil is null, errors nested in arrays (EXEC, Lua) are Errors.
 */
export type RedisReply = Buffer | string | number | null | Error | readonly RedisReply[];

/** The outcome of one command as the REST API reports it: `{result}` or `{error}`. */
export type CommandOutcome = { readonly result: RedisReply } | { readonly error: string };

/**
 * How string replies are written into the JSON response.
 * `base64` is what a client asks for with the header `Upstash-Encoding: base64` (the
 * @upstash/redis default); `json` writes them as UTF-8 JSON strings.
 */
export const ResponseEncoding = { Base64: 'base64', Json: 'json' } as const;
/** One of {@link ResponseEncoding}. */
export type ResponseEncoding = (typeof ResponseEncoding)[keyof typeof ResponseEncoding];

const INTEGER = /^-?\d+$/;
const OK = Buffer.from('OK');

/**
 * Serialises a reply to JSON text the way @upstash/redis decodes it.
 *
 * The client's decoder (pkg/http.ts `decode`) passes numbers and null through, keeps a
 * top-level `"OK"` as is, and base64-decodes every other string, recursively inside arrays —
 * where even `"OK"` is decoded. So in base64 mode every string is encoded except a top-level
 * OK. Integers are written as JSON numbers from Redis' own digits, so values above 2^53 are
 * exact on the wire (a JavaScript client still rounds them when it parses the JSON).
 *
 * @example
 * ```ts
 * encodeReply(Buffer.from('hi'), ResponseEncoding.Base64); // '"aGk="'
 * encodeReply(['1', null], ResponseEncoding.Json);           // '[1,null]'
 * ```
 */
export function encodeReply(reply: RedisReply, encoding: ResponseEncoding): string {
  if (encoding === ResponseEncoding.Base64 && Buffer.isBuffer(reply) && reply.equals(OK)) return '"OK"';
  return encodeNested(reply, encoding);
}

/**
 * Serialises one entry of a /pipeline or /multi-exec response: `{"result":…}` or `{"error":"…"}`.
 * Error texts are never base64-encoded: the client reads them as they are.
 *
 * @example
 * ```ts
 * encodeOutcome({ error: 'ERR value is not an integer or out of range' }, ResponseEncoding.Base64);
 * ```
 */
export function encodeOutcome(outcome: CommandOutcome, encoding: ResponseEncoding): string {
  return 'error' in outcome
    ? `{"error":${JSON.stringify(outcome.error)}}`
    : `{"result":${encodeReply(outcome.result, encoding)}}`;
}

function encodeNested(reply: RedisReply, encoding: ResponseEncoding): string {
  if (reply === null) return 'null';
  if (Buffer.isBuffer(reply)) return encodeBytes(reply, encoding);
  if (typeof reply === 'string') {
    return INTEGER.test(reply) ? reply : encodeBytes(Buffer.from(reply, 'utf8'), encoding);
  }
  if (typeof reply === 'number') return Number.isFinite(reply) ? String(reply) : 'null';
  // An error inside an array (a failed command in EXEC, an error table returned by Lua) has no
  // JSON shape the client understands there, so its text takes the slot like a string would.
  if (reply instanceof Error) return encodeBytes(Buffer.from(reply.message, 'utf8'), encoding);
  return `[${reply.map((item) => encodeNested(item, encoding)).join(',')}]`;
}

function encodeBytes(bytes: Buffer, encoding: ResponseEncoding): string {
  // toString('utf8') replaces invalid sequences with U+FFFD, exactly as the client's
  // TextDecoder does after base64 decoding, so both modes agree on non-UTF-8 values.
  return encoding === ResponseEncoding.Base64
    ? `"${bytes.toString('base64')}"`
    : JSON.stringify(bytes.toString('utf8'));
}
