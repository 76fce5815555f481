import { readFileSync } from 'node:fs';

/** The package whose version `mskguard --version` prints. */
const PACKAGE_NAME = 'mskguard';

/**
 * The version in the package's own package.json, found by walking up from `from` (the CLI's
 * module URL). Walking up, rather than a fixed `../..`, finds it both from the sources
 * (shared/cli/ in the repository) and from the build (dist/shared/cli/ in an installed package),
 * and skips any package.json of another package on the way.
 *
 * @example
 * ```ts
 * packageVersion(import.meta.url); // '0.1.0'
 * ```
 */
export function packageVersion(from: string | URL = import.meta.url): string {
  let dir = new URL('./', from);
  for (let depth = 0; depth < 6; depth++) {
    const pkg = readPackage(new URL('package.json', dir));
    if (pkg?.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    const parent = new URL('../', dir);
    if (parent.href === dir.href) break;
    dir = parent;
  }
  return 'unknown (package.json of mskguard not found)';
}

function readPackage(url: URL): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
