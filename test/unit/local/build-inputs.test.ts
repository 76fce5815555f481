// The build stamp lets the outside-user test pack a dist/ without rebuilding it (decision 0017):
// it must say "current" only when dist/ was built from exactly the sources as they are now.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInputsHash, buildStampPath, distIsCurrent } from '#local/build-inputs.ts';

/** A minimal project: every build input the hash reads, and a built dist/ stamped with its hash. */
function builtProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'mskguard-stamp-'));
  for (const dir of ['shared', 'cdk', 'functions', 'lua', 'local', 'dist/shared', '.cache']) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  writeFileSync(join(root, 'shared/index.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'cdk/index.ts'), 'export const b = 2;\n');
  writeFileSync(join(root, 'functions/restore.ts'), 'export const c = 3;\n');
  writeFileSync(join(root, 'lua/claim-1.lua'), 'return 1\n');
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'local/build.ts']) {
    writeFileSync(join(root, file), '{}\n');
  }
  writeFileSync(join(root, 'dist/shared/index.js'), 'export const a = 1;\n');
  writeFileSync(buildStampPath(root), `${buildInputsHash(root)}\n`);
  // The stamp is written after dist/, as the build does.
  utimesSync(join(root, 'dist/shared/index.js'), new Date(1_000_000), new Date(1_000_000));
  return root;
}

describe('build stamp', () => {
  it('calls a dist/ current when the sources are the ones it was built from', () => {
    // Prepare
    const root = builtProject();

    // Act
    const current = distIsCurrent(root);

    // Assert
    expect(current).toBe(true);
  });

  it.for([
    ['a library source is edited', 'shared/index.ts'],
    ['a Lua script is edited', 'lua/claim-1.lua'],
    ['the build configuration is edited', 'tsconfig.build.json'],
    ['a source is added', 'cdk/new-construct.ts'],
  ])('calls it stale when %s', ([, file]) => {
    // Prepare
    const root = builtProject();

    // Act
    writeFileSync(join(root, file!), 'export const changed = true;\n');

    // Assert
    expect(distIsCurrent(root)).toBe(false);
  });

  it('calls it stale when dist/ was written after the stamp, or there is no stamp or no dist/', () => {
    // Prepare
    const rebuilt = builtProject();
    const unstamped = builtProject();
    const unbuilt = builtProject();

    // Act
    utimesSync(join(rebuilt, 'dist/shared/index.js'), new Date(), new Date(Date.now() + 60_000));
    writeFileSync(buildStampPath(unstamped), '');
    rmSync(join(unbuilt, 'dist'), { recursive: true });

    // Assert
    expect(distIsCurrent(rebuilt)).toBe(false);
    expect(distIsCurrent(unstamped)).toBe(false);
    expect(distIsCurrent(unbuilt)).toBe(false);
  });

  it('does not change with a file outside the build inputs', () => {
    // Prepare
    const root = builtProject();

    // Act
    mkdirSync(join(root, 'test'));
    writeFileSync(join(root, 'test/x.test.ts'), 'it();\n');
    writeFileSync(join(root, 'README.md'), '# changed\n');

    // Assert
    expect(distIsCurrent(root)).toBe(true);
  });
});
