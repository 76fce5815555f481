import { setTimeout as sleep } from 'node:timers/promises';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { GuardEngine } from '#shared/middleware/engine.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import type { MskGuardOptions } from '#shared/middleware/options.ts';
import type { ParsedRecord } from '#shared/msk/index.ts';
import {
  encodeKafkaEvent,
  type KafkaEvent,
  type KafkaRecordInput,
  processRecordsInOrder,
} from '#shared/msk/index.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';

/** A Lambda context whose remaining time is fixed (the lease length follows it). */
export function fakeContext(
  remainingMs = 60_000,
  requestId = `req-${Math.random().toString(36).slice(2)}`,
): Context {
  return {
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => remainingMs,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  } as Context;
}

/** Records of one topic-partition with a business key in the `idempotency-key` header. */
export function orders(
  topic: string,
  partition: number,
  firstOffset: number,
  keys: readonly string[],
): KafkaRecordInput[] {
  return keys.map((key, i) => ({
    topic,
    partition,
    offset: firstOffset + i,
    key: `k-${key}`,
    value: JSON.stringify({ orderId: key }),
    headers: [{ name: 'idempotency-key', value: key }],
  }));
}

/**
 * A guarded handler that records every effect (the business key of each record it processed) and
 * can be told to fail on some keys or throw. `effects` is what G1/G2 are checked against.
 */
export function guardedConsumer(options: MskGuardOptions) {
  const effects: string[] = [];
  const failOn = new Set<string>();
  let throwNext: Error | undefined;
  let delayMs = 0;
  let onStart: (() => void) | undefined;
  const handler = middy<KafkaEvent, unknown, Error, Context>()
    .use(mskGuard({ cacheShards: TEST_CACHE_SHARDS, ...options }))
    .handler(async (event) => {
      onStart?.();
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (throwNext) {
        const error = throwNext;
        throwNext = undefined;
        throw error;
      }
      return (
        await processRecordsInOrder(event, (record: ParsedRecord) => {
          const key = record.lastHeader('idempotency-key')?.toString() ?? '';
          if (failOn.has(key)) throw new Error(`failing ${key}`);
          effects.push(key);
        })
      ).response;
    });
  return {
    effects,
    failOn,
    throwOnce: (error: Error) => {
      throwNext = error;
    },
    delay: (ms: number) => {
      delayMs = ms;
    },
    /** Resolves when the handler next begins (the middleware has claimed its keys by then). */
    nextHandlerStart: () =>
      new Promise<void>((resolve) => {
        onStart = resolve;
      }),
    invoke: (records: KafkaRecordInput[], context = fakeContext()) =>
      handler(encodeKafkaEvent(records), context),
    /** Invokes with an event as given (a malformed one, say). */
    invokeEvent: (event: unknown, context = fakeContext()) => handler(event as KafkaEvent, context),
  };
}

/**
 * An invocation that claims `records` and dies there (no handler, no settle, no release) with
 * `remainingMs` to live: its leases (no margin) end that long from now, and then its keys are in doubt.
 */
export async function claimAndDie(
  options: MskGuardOptions,
  records: KafkaRecordInput[],
  remainingMs: number,
): Promise<void> {
  const crashed = new GuardEngine({ cacheShards: TEST_CACHE_SHARDS, ...options, leaseMarginMs: 0 });
  await crashed.admit(encodeKafkaEvent(records), fakeContext(remainingMs));
}

/**
 * An invocation of `options.consumerGroup` processes `key` on orders/0, commits its checkpoint with
 * its commit marker and dies before its complete reaches Redis; its lease (300 ms) has expired on
 * return, so the key is in doubt about it.
 */
export async function commitAndDieBeforeComplete(
  options: MskGuardOptions & { cache: ScriptRunner },
  key: string,
): Promise<void> {
  const runner = options.cache;
  const noComplete: ScriptRunner = {
    kind: runner.kind,
    close: async () => {},
    run: (script, keys, args) =>
      script.name === 'complete'
        ? Promise.reject(new CacheUnavailableError('injected: died before complete'))
        : runner.run(script, keys, args),
  };
  const dead = new GuardEngine({
    cacheShards: TEST_CACHE_SHARDS,
    ...options,
    cache: noComplete,
    leaseMarginMs: 0,
  });
  await dead.settle(await dead.admit(encodeKafkaEvent(orders('orders', 0, 0, [key])), fakeContext(300)), {
    batchItemFailures: [],
  });
  await sleep(400);
}
