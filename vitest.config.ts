import { defineConfig } from 'vitest/config';

/**
 * The guarantee suites (G1–G6 through the middleware, crashes and outages, the sharded tier), run a
 * second time against the stack's 3-node Redis Cluster with each group spread over 6 hash tags
 * (decision 0015): the RESP cases then use the cluster-aware runner.
 */
const GUARANTEE_SUITES = [
  'test/integration/middleware/**/*.test.ts',
  'test/integration/faults/**/*.test.ts',
  'test/integration/dedup/sharded-tier.test.ts',
  'test/integration/dedup/cache-tiers.test.ts',
  'test/integration/dedup/handback.test.ts',
  'test/integration/dedup/in-doubt-lost-claim.test.ts',
];

export default defineConfig({
  test: {
    // Brings the local stack (Kafka, DynamoDB Local, Redis and its Cluster, Upstash REST endpoint)
    // up when it is not already running, and down again afterwards. MSKGUARD_NO_STACK=1 skips it
    // for unit-only runs.
    globalSetup: ['test/setup/global-stack.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration suites share one broker and one Redis. Files run in parallel (one worker per core
    // but one: one at a time on a 2-core machine) on separate namespaces (topics, groups, key
    // prefixes), so no suite may FLUSHALL, SCRIPT FLUSH or delete another's state.
    pool: 'forks',
    env: {
      // The guarded functions log JSON and emit EMF on stdout; tests assert on behaviour, not on logs.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    projects: [
      { extends: true, test: { name: 'single', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: GUARANTEE_SUITES,
          env: { MSKGUARD_TEST_REDIS: 'cluster', MSKGUARD_TEST_CACHE_SHARDS: '6' },
        },
      },
    ],
  },
});
