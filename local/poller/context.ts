import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** Options of {@link createLambdaContext}. */
export interface LambdaContextOptions {
  /** The function's timeout: `getRemainingTimeInMillis()` counts down from it. */
  readonly timeoutMs: number;
  /** @default 'mskguard-local-consumer' */
  readonly functionName?: string;
  /** @default a new UUID, as Lambda gives every invocation */
  readonly requestId?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * A Lambda context for one in-process invocation: a fresh `awsRequestId` and a deadline
 * `timeoutMs` from now that `getRemainingTimeInMillis()` counts down to (never below 0), so code
 * that sizes leases or stops early from the remaining time behaves as it does in Lambda.
 *
 * @example
 * ```ts
 * const context = createLambdaContext({ timeoutMs: 60_000 });
 * await handler(event, context); // context.getRemainingTimeInMillis() ≈ 60000 at the start
 * ```
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const functionName = options.functionName ?? 'mskguard-local-consumer';
  const noop = () => {};
  return {
    awsRequestId: options.requestId ?? randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    callbackWaitsForEmptyEventLoop: true,
    done: noop,
    fail: noop,
    succeed: noop,
  };
}
