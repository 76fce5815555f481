import { fileURLToPath } from 'node:url';

/**
 * Absolute paths the CDK app needs to bundle functions. Resolved from this file, not from the
 * working directory, so `cdk synth`, vitest and a script started elsewhere all find the same files.
 *
 * @example
 * ```ts
 * new NodejsFunction(this, 'Fn', { entry: entryPath('functions/order-consumer.ts'), projectRoot: REPO_ROOT });
 * ```
 */
export const REPO_ROOT: string = fileURLToPath(new URL('..', import.meta.url));

/** The npm lock file; esbuild bundling keys its cache and install on it. */
export const LOCK_FILE: string = fileURLToPath(new URL('../package-lock.json', import.meta.url));

/** Resolves a path relative to the repository root (absolute paths are returned unchanged). */
export function entryPath(relative: string): string {
  return relative.startsWith('/') ? relative : fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

/** Default handler entries, relative to the repository root. */
export const DEFAULT_ENTRIES = {
  orderConsumer: 'functions/order-consumer.ts',
  restore: 'functions/restore.ts',
  topicsProvider: 'functions/kafka-topics-provider.ts',
} as const;
