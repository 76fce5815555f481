import { MskGuardError } from '#shared/errors.ts';

/**
 * An HTTP request to the local Upstash REST endpoint was refused before any command reached
 * Redis (bad JSON, wrong route, body too large, unsupported command). `status` is the HTTP
 * status the endpoint answers with; the message is what the client receives as `error`.
 *
 * @example
 * ```ts
 * throw new RestRequestError(400, 'Request body is not valid JSON: Unexpected end of JSON input');
 * ```
 */
export class RestRequestError extends MskGuardError {
  /** HTTP status code sent to the client (400, 404, 405, 413). */
  public readonly status: number;

  public constructor(status: number, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.status = status;
  }
}
