import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RestRequestError } from './errors.ts';

/** Bytes read past the limit so the client gets to see the 413 instead of a reset socket. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads and parses a JSON request body of at most `limit` bytes. A larger body is drained (up to
 * 64 MiB more) before the 413 goes out, so the client reads the answer instead of a reset socket.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(req, res, 64 * 1024 * 1024); // unknown, validate next
 * ```
 */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
): Promise<unknown> {
  const tooLarge = (): RestRequestError =>
    new RestRequestError(413, `Request body is larger than the limit of ${limit} bytes; split the pipeline.`);
  if (Number(req.headers['content-length']) > limit + MAX_DRAIN_BYTES) {
    res.setHeader('Connection', 'close');
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else if (size > limit + MAX_DRAIN_BYTES) {
      res.setHeader('Connection', 'close');
      throw tooLarge();
    }
  }
  if (size > limit) throw tooLarge();
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') throw new RestRequestError(400, 'Request body is empty; send a JSON array.');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RestRequestError(400, `Request body is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Writes a JSON response with an exact Content-Length, which keeps the connection reusable. */
export function sendJson(res: ServerResponse, status: number, json: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/**
 * Builds the check of an `Authorization` header against `Bearer <token>`.
 *
 * @example
 * ```ts
 * const isAuthorized = bearerMatcher('dev-token');
 * isAuthorized(req.headers.authorization); // boolean
 * ```
 */
export function bearerMatcher(token: string): (header: string | undefined) => boolean {
  // Comparing fixed-size digests keeps the check constant-time whatever the header length.
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  const expected = digest(`Bearer ${token}`);
  return (header) => header !== undefined && timingSafeEqual(digest(header), expected);
}
