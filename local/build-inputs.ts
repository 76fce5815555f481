import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from './stack-config.ts';

/** What `npm run build` compiles from, and what decides how (decision 0009). */
const INPUT_DIRS = ['shared', 'cdk', 'functions', 'lua'];
const INPUT_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'local/build.ts'];

/** Where the build records the hash of the inputs it compiled (outside dist/: it is not published). */
export const BUILD_STAMP = join(PROJECT_ROOT, '.cache', 'build-inputs.sha256');

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** A hash of every build input's path and content: equal hashes, same dist/. */
export function buildInputsHash(): string {
  const hash = createHash('sha256');
  const files = [
    ...INPUT_DIRS.flatMap((dir) => filesUnder(join(PROJECT_ROOT, dir))),
    ...INPUT_FILES.map((file) => join(PROJECT_ROOT, file)),
  ].sort();
  for (const file of files) {
    hash.update(relative(PROJECT_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/**
 * Whether dist/ was built from the sources as they are now, so `npm pack` may skip the prepack
 * build (CI builds once for the API report; the acceptance test packs what that build wrote).
 */
export function distIsCurrent(): boolean {
  const entry = join(PROJECT_ROOT, 'dist', 'shared', 'index.js');
  if (!existsSync(entry) || !existsSync(BUILD_STAMP)) return false;
  if (statSync(entry).mtimeMs > statSync(BUILD_STAMP).mtimeMs) return false;
  return readFileSync(BUILD_STAMP, 'utf8').trim() === buildInputsHash();
}
