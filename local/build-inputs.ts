import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from './stack-config.ts';

/** What `npm run build` compiles from, and what decides how (decision 0009). */
const INPUT_DIRS = ['shared', 'cdk', 'functions', 'lua'];
const INPUT_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'local/build.ts'];

/** Where the build records the hash of the inputs it compiled (outside dist/: it is not published). */
export function buildStampPath(root: string = PROJECT_ROOT): string {
  return join(root, '.cache', 'build-inputs.sha256');
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** A hash of every build input's path and content under `root`: equal hashes, same dist/. */
export function buildInputsHash(root: string = PROJECT_ROOT): string {
  const hash = createHash('sha256');
  const files = [
    ...INPUT_DIRS.flatMap((dir) => filesUnder(join(root, dir))),
    ...INPUT_FILES.map((file) => join(root, file)),
  ].sort();
  for (const file of files) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/**
 * Whether dist/ was built from the sources as they are now, so `npm pack` may skip the prepack
 * build (CI builds once for the API report; the acceptance test packs what that build wrote).
 */
export function distIsCurrent(root: string = PROJECT_ROOT): boolean {
  const entry = join(root, 'dist', 'shared', 'index.js');
  const stamp = buildStampPath(root);
  if (!existsSync(entry) || !existsSync(stamp)) return false;
  // A dist/ written after the stamp came from a build the stamp does not describe.
  if (statSync(entry).mtimeMs > statSync(stamp).mtimeMs) return false;
  return readFileSync(stamp, 'utf8').trim() === buildInputsHash(root);
}
