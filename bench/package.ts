/**
 * `npm run bench -- package`: what installing mskguard costs a user (issue 12). Packs the project
 * (`npm pack` builds dist/), installs the tarball into a fresh project outside the repository, and
 * measures there: `mskguard --help` (process start to exit), `import('mskguard')` (in a fresh process,
 * the import alone), the tarball's size, and a consumer's Lambda bundle (esbuild with the
 * construct's options) next to the same bundle built from this repository's sources. Peers in the
 * same run: the CLI run from sources through tsx, as it shipped before the package was compiled.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { defaultBundling } from '#cdk/function-defaults.ts';
import { missingCacheClients } from '#cdk/paths.ts';
import { PROJECT_ROOT } from '#local/stack-config.ts';
import type { BenchContext } from './main.ts';
import type { Row, Table } from './table.ts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time of a command, in ms, over the context's repetitions after its warm-up. */
function timeCommand(ctx: BenchContext, command: string, args: string[], cwd: string): number {
  const times: number[] = [];
  for (let i = 0; i < ctx.warmup + ctx.repetitions; i++) {
    const started = performance.now();
    const result = spawnSync(command, args, { cwd, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
    if (i >= ctx.warmup) times.push(performance.now() - started);
  }
  return median(times);
}

/** Median time of `import(specifier)` alone, each in a fresh process, in ms. */
function timeImport(ctx: BenchContext, specifier: string, cwd: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < ctx.warmup + ctx.repetitions; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd,
      encoding: 'utf8',
    });
    if (i >= ctx.warmup) times.push(Number(out));
  }
  return median(times);
}

/** Bytes of a minified consumer bundle, built as GuardedKafkaConsumer builds it. */
async function bundleBytes(entry: string, cwd: string, outfile: string): Promise<number> {
  const options = defaultBundling();
  await build({
    entryPoints: [entry],
    absWorkingDir: cwd,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: options.target ?? 'node22',
    minify: true,
    keepNames: true,
    mainFields: ['module', 'main'],
    banner: { js: options.banner ?? '' },
    // As the construct bundles in the user's project: a cache client not installed there stays out.
    external: ['@aws-sdk/*', ...missingCacheClients(join(cwd, 'package.json'))],
    logLevel: 'error',
  });
  return statSync(outfile).size;
}

export async function run(ctx: BenchContext): Promise<readonly Table[]> {
  const work = mkdtempSync(join(tmpdir(), 'mskguard-bench-package-'));
  try {
    ctx.log('package: npm pack (builds dist/)');
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    const [info] = JSON.parse(packed) as {
      filename: string;
      size: number;
      unpackedSize: number;
      entryCount: number;
    }[];
    const project = join(work, 'user');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user', private: true, type: 'module' }),
    );
    ctx.log('package: npm install in a fresh project');
    execFileSync(
      'npm',
      [
        'install',
        join(work, info!.filename),
        '@middy/core@6',
        'ioredis',
        'aws-cdk-lib@2',
        'constructs@10',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
      ],
      { cwd: project, stdio: 'ignore' },
    );
    copyFileSync(join(PROJECT_ROOT, 'test/acceptance/fixtures/orders.mjs'), join(project, 'orders.mjs'));

    ctx.log('package: start times');
    const bin = join(project, 'node_modules/.bin/mskguard');
    const tsx = join(PROJECT_ROOT, 'node_modules/.bin/tsx');
    const rows: Row[] = [
      {
        measure: 'mskguard --help',
        impl: 'installed package (dist/)',
        ms: timeCommand(ctx, bin, ['--help'], project),
      },
      {
        measure: 'mskguard --help',
        impl: 'sources through tsx (before)',
        ms: timeCommand(ctx, tsx, ['shared/cli/main.ts', '--help'], PROJECT_ROOT),
      },
      {
        measure: "import('mskguard') cold",
        impl: 'installed package (dist/)',
        ms: timeImport(ctx, 'mskguard', project),
      },
      {
        measure: "import('mskguard/cdk') cold",
        impl: 'installed package (dist/)',
        ms: timeImport(ctx, 'mskguard/cdk', project),
      },
    ];

    ctx.log('package: bundle sizes');
    const sizes: Row[] = [
      { artifact: 'npm pack tarball', bytes: info!.size, files: info!.entryCount },
      { artifact: 'npm pack unpacked', bytes: info!.unpackedSize, files: info!.entryCount },
      {
        artifact: "consumer bundle: a user's handler from the installed package",
        bytes: await bundleBytes('./orders.mjs', project, join(work, 'user-bundle.mjs')),
        files: 1,
      },
      {
        artifact: 'consumer bundle: functions/order-consumer.ts from sources (the demo asset)',
        bytes: await bundleBytes(
          './functions/order-consumer.ts',
          PROJECT_ROOT,
          join(work, 'demo-bundle.mjs'),
        ),
        files: 1,
      },
    ];
    return [
      {
        title: `package: start times, median of ${ctx.repetitions} (${ctx.warmup} warm-up)`,
        rows,
        notes: [
          '`--help` is process start to exit; `import` is the import alone, in a fresh process each time.',
          `A bare \`node -e 0\` here takes ${timeCommand(ctx, process.execPath, ['-e', '0'], project).toFixed(0)} ms.`,
        ],
      },
      { title: 'package: sizes', rows: sizes },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
