import type { AfterSuccess, InvokedEvent } from '#local/poller/index.ts';

/** Fewer owed redeliveries than this wait for later batches: each injection costs a refetch. */
const MIN_INJECTION = 25;

/**
 * Spreads a budget of redeliveries over a run: after a successful invocation, the commit of its
 * last `k` records is "lost" (the poller commits up to them and reads them again), `k` growing with
 * the first deliveries seen so far, so the budget is spent evenly across the topic. What a lost
 * commit looks like in production: a rebalance or a poller restart between the invocation and its
 * commit. The watermark tier must withhold every one of them.
 *
 * @example
 * ```ts
 * const injector = new RedeliveryInjector(plan.redeliveries, plan.records.length);
 * new LambdaKafkaPoller({ ..., afterSuccess: (invoked) => injector.decide(invoked) });
 * ```
 */
export class RedeliveryInjector {
  /** Records redelivered so far. */
  public injected = 0;
  readonly #budget: number;
  readonly #perRecord: number;
  readonly #seen = new Map<number, number>();
  #owed = 0;

  public constructor(budget: number, produced: number) {
    this.#budget = budget;
    this.#perRecord = produced > 0 ? budget / produced : 0;
  }

  /** What the poller does after `invoked` succeeded. */
  public decide(invoked: InvokedEvent): AfterSuccess {
    const seen = this.#seen.get(invoked.partition) ?? -1;
    const firstDeliveries = Math.max(0, invoked.lastOffset - Math.max(seen, invoked.firstOffset - 1));
    this.#seen.set(invoked.partition, Math.max(seen, invoked.lastOffset));
    this.#owed += firstDeliveries * this.#perRecord;
    const remaining = this.#budget - this.injected;
    const k = Math.min(Math.floor(this.#owed), invoked.records, remaining);
    // A batch smaller than MIN_INJECTION (a steady stream, --no-faults) redelivers whole batches:
    // waiting for MIN_INJECTION records in one batch would never inject anything.
    if (k <= 0 || k < Math.min(MIN_INJECTION, remaining, invoked.records)) return 'commit';
    this.#owed -= k;
    this.injected += k;
    return { redeliverFrom: invoked.lastOffset + 1 - k };
  }
}
