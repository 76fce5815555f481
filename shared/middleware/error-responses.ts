import type { Request } from '@middy/core';

/**
 * From mskGuard's `before` on, a response set while the invocation has an error reads as
 * undefined, so Middy rethrows the error (Middy 6 and 7: the invocation fails when
 * `request.response` is undefined after the onError chain) and Lambda delivers the batch again.
 * Lambda reads any answer of a Kafka handler as "every record done" and would skip the batch (G2),
 * and no order of the chain keeps every answer away from mskGuard's onError: middlewares
 * registered after it answer before it, one that returns its answer ends the chain without it,
 * those registered before it answer after it. Their onError still runs (logs, metrics, traces).
 * Installed per invocation: Middy builds a new request object for each.
 *
 * @param onDiscard called for each answer discarded (the guard logs it and stops the batch).
 */
export function refuseErrorResponses(request: Request, onDiscard: () => void): void {
  let response: unknown = request.response;
  Object.defineProperty(request, 'response', {
    configurable: true,
    enumerable: true,
    get: () => (request.error === undefined || request.error === null ? response : undefined),
    set: (value: unknown) => {
      response = value;
      if (value !== undefined && request.error !== undefined && request.error !== null) onDiscard();
    },
  });
}
