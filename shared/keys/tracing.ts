// Names of distributed-tracing propagation headers (W3C, AWS X-Ray, Zipkin B3, Jaeger, Datadog,
// Google Cloud, Sentry, OpenTracing, gRPC, Elastic APM). Compared lower-cased.
const TRACING_HEADERS: ReadonlySet<string> = new Set([
  'traceparent',
  'tracestate',
  'baggage',
  'b3',
  'x-amzn-trace-id',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'uber-trace-id',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'dd-pathway-ctx',
  'x-cloud-trace-context',
  'sentry-trace',
  'x-ot-span-context',
  'grpc-trace-bin',
  'elastic-apm-traceparent',
]);

/**
 * Whether a header name or JSON field names a tracing id: a known propagation header, or a
 * name with a `trace` token or a `span` `id` pair (`trace-id`, `traceId`, `x_trace_id`, `spanId`).
 * Words that merely contain the letters (`traceability`, `contract`) are not matched.
 *
 * Seed incident: trace ids used as idempotency keys collided across distinct events and changed
 * across retries (low entropy, unstable), so dedup both dropped real events and missed duplicates.
 *
 * @example
 * ```ts
 * isTracingName('X-Amzn-Trace-Id'); // true
 * isTracingName('order-id');        // false
 * ```
 */
export function isTracingName(name: string): boolean {
  if (TRACING_HEADERS.has(name.toLowerCase())) return true;
  const tokens = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');
  return tokens.some(
    (t, i) =>
      t === 'trace' ||
      t.endsWith('traceid') ||
      t.endsWith('spanid') ||
      (t === 'span' && tokens[i + 1] === 'id'),
  );
}
