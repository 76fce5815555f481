// `npm run build` (and `npm pack` through prepack): compiles the published part of the repository
// (shared/, cdk/, functions/, the generated Lua module) into dist/ as ESM JavaScript with .d.ts files,
// declaration maps and source maps. See docs/decisions/0009-packaging.md.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildInputsHash, buildStampPath, filesUnder } from './build-inputs.ts';
import { PROJECT_ROOT } from './stack-config.ts';

const dist = join(PROJECT_ROOT, 'dist');

// The inputs are hashed before compiling: an edit during the build leaves a stamp that no longer matches.
const inputs = buildInputsHash();
rmSync(buildStampPath(), { force: true });
rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  },
);

// tsc rewrites `./x.ts` to `./x.js` in JavaScript but keeps it in declarations; a consumer's tsc
// without allowImportingTsExtensions must see the `.js` names that exist in dist/.
const TS_SPECIFIER = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g;
let rewritten = 0;
for (const file of filesUnder(dist).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(TS_SPECIFIER, (_m, head: string, path: string, tail: string) => {
    rewritten += 1;
    return `${head}${path}.js${tail}`;
  });
  if (fixed !== text) writeFileSync(file, fixed);
}
chmodSync(join(dist, 'shared/cli/main.js'), 0o755);
mkdirSync(dirname(buildStampPath()), { recursive: true });
writeFileSync(buildStampPath(), `${inputs}\n`);
process.stderr.write(`[build] dist/ written (${rewritten} declaration imports renamed .ts -> .js)\n`);
