import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../shared/errors.ts';
import type { DedupCacheBackend } from './constructs/dedup-cache.ts';

// Inside this repository the constructs run from TypeScript sources; installed from npm they run
// from dist/ as JavaScript. mskguard's own handlers sit beside them in the same form.
const HANDLER_EXTENSION = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

/** mskguard's own Lambda handlers, shipped in the package. */
export type PackagedHandler = 'order-consumer' | 'restore' | 'kafka-topics-provider' | 'watchdog';

/**
 * The file of one of mskguard's own handlers, resolved from this module (not from the working
 * directory), so it is found in this repository and in `node_modules/mskguard` alike.
 */
export function packagedEntry(handler: PackagedHandler): string {
  return fileURLToPath(new URL(`../functions/${handler}.${HANDLER_EXTENSION}`, import.meta.url));
}

/**
 * A handler file named by the user: absolute, or relative to the directory the CDK app runs in
 * (as NodejsFunction resolves `entry`). Fails synthesis with the resolved path when it is missing,
 * instead of esbuild's error deep in bundling.
 *
 * @example
 * ```ts
 * resolveEntry('src/orders.ts', 'GuardedKafkaConsumer Orders'); // '/home/me/app/src/orders.ts'
 * ```
 */
export function resolveEntry(entry: string, where: string): string {
  const path = isAbsolute(entry) ? entry : resolve(process.cwd(), entry);
  if (!existsSync(path)) {
    throw new ConfigurationError(
      `${where}: entry ${entry} does not exist (resolved to ${path}). Give the handler file's path ` +
        'relative to the directory you run `cdk synth` in, or an absolute path.',
    );
  }
  return path;
}

/** The package a cache backend's runner loads in the function (cacheFromEnv), by backend. */
const CACHE_CLIENT_PACKAGES = {
  upstash: '@upstash/redis',
  elasticache: 'ioredis',
} as const satisfies Record<DedupCacheBackend, string>;

/** Whether `name` resolves from `from` (a package.json path): installed where `cdk synth` runs. */
function installed(name: string, from: string): boolean {
  try {
    createRequire(from).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The cache clients (optional peers of mskguard) that are not installed where `cdk synth` runs.
 * A handler that reaches `cacheFromEnv` references both; the one missing is left out of the bundle
 * instead of failing it, and fails at run time with a ConfigurationError only if it is configured.
 */
export function missingCacheClients(from: string = join(process.cwd(), 'package.json')): string[] {
  return Object.values(CACHE_CLIENT_PACKAGES).filter((name) => !installed(name, from));
}

/**
 * Fails synthesis when the client of the cache a function is configured for is not installed where
 * `cdk synth` runs. Leaving out the client of the *other* backend is what {@link missingCacheClients}
 * is for; leaving out this one would deploy a function that fails every invocation.
 *
 * @example
 * ```ts
 * requireCacheClient('upstash', 'GuardedKafkaConsumer Orders'); // throws unless @upstash/redis resolves
 * ```
 */
export function requireCacheClient(
  backend: DedupCacheBackend,
  where: string,
  from: string = join(process.cwd(), 'package.json'),
): void {
  const client = CACHE_CLIENT_PACKAGES[backend];
  if (installed(client, from)) return;
  throw new ConfigurationError(
    `${where}: the ${backend} cache needs ${client}, which is not installed where \`cdk synth\` runs ` +
      `(resolved from ${from}); the function would be bundled without it and fail every invocation. ` +
      `Run \`npm install ${client}\` in the CDK app, or, if a Lambda layer provides it, list it in ` +
      'bundling.externalModules.',
  );
}
