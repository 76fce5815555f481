import { randomBytes } from 'node:crypto';
import type { StackEndpoints } from '#local/stack-config.ts';

/**
 * The endpoints of the local stack, set by the global setup (test/setup/global-stack.ts).
 * Fails with the fix when a suite that needs the stack runs under MSKGUARD_NO_STACK=1.
 */
export function stackEnv(): StackEndpoints {
  const names = [
    'KAFKA_BROKERS',
    'DYNAMODB_ENDPOINT',
    'REDIS_URL',
    'UPSTASH_REDIS_REST_URL',
    'UPSTASH_REDIS_REST_TOKEN',
  ] as const;
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    throw new Error(
      `This suite needs the local stack, but ${missing.join(', ')} is not set. ` +
        'Run it with `npm test` (which brings the stack up), or `npm run stack:up` first.',
    );
  }
  return Object.fromEntries(names.map((n) => [n, process.env[n] as string])) as unknown as StackEndpoints;
}

/** A name unique to this run, so suites sharing one broker, table space and Redis never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** One endpoint of the local stack (for suites that need only that service), with the fix when unset. */
export function stackVar(name: keyof StackEndpoints): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: this suite needs the local stack. Run it with \`npm test\` (which brings the ` +
        `stack up), or start it with \`npm run stack:up\`, or set ${name} by hand.`,
    );
  }
  return value;
}

/**
 * The seed nodes of the stack's Redis Cluster as `redis://host:port` URLs (REDIS_CLUSTER_NODES,
 * set by the global setup, which starts the cluster with the stack), with the fix when unset.
 */
export function clusterNodeUrls(): string[] {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) {
    throw new Error(
      "REDIS_CLUSTER_NODES is not set: this suite needs the stack's Redis Cluster. Run it with `npm test` " +
        '(which starts the cluster), or start it with `npm run stack:up -- --cluster`.',
    );
  }
  return nodes.split(',').map((node) => `redis://${node}`);
}
