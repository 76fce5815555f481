import type { Context } from 'aws-lambda';

/** What a test may set on {@link lambdaContext}. */
export interface LambdaContextOptions {
  /** What `getRemainingTimeInMillis()` returns; the guard's lease follows it. @default 60000 */
  readonly remainingTimeMs?: number;
  /** @default a new random id per context */
  readonly awsRequestId?: string;
  /** @default 'test-function' */
  readonly functionName?: string;
}

/**
 * A Lambda `Context` for invoking a guarded handler in a unit test. The remaining time is fixed,
 * so the lease the guard takes is predictable.
 *
 * @example
 * ```ts
 * const response = await handler(kafkaEvent, lambdaContext({ remainingTimeMs: 30_000 }));
 * ```
 */
export function lambdaContext(options: LambdaContextOptions = {}): Context {
  const functionName = options.functionName ?? 'test-function';
  const remaining = options.remainingTimeMs ?? 60_000;
  return {
    awsRequestId: options.awsRequestId ?? `test-${Math.random().toString(36).slice(2, 12)}`,
    getRemainingTimeInMillis: () => remaining,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
