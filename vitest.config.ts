import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Brings the local stack (Kafka, DynamoDB Local, Redis, Upstash REST endpoint) up when it is not
    // already running, and down again afterwards. MSKGUARD_NO_STACK=1 skips it for unit-only runs.
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
  },
});
