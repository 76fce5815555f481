// Guarantee: none of G1–G6 directly; proves design §8's "checkov passes": the synthesized templates of the
// app's three configurations (demo, existing SCRAM + Upstash, existing serverless IAM + ElastiCache) have no
// failed checkov check; each finding is fixed or acknowledged in code with a reason (Metadata.checkov.skip).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CDK_JSON_CONTEXT, contextFixture } from './helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** checkov from $CHECKOV, else from PATH; a missing scanner fails the suite instead of skipping it. */
function checkov(): string {
  const candidate = process.env.CHECKOV ?? 'checkov';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `checkov not found (tried ${JSON.stringify(candidate)}). Install it (python3 -m venv .cache/venv && ` +
        '.cache/venv/bin/pip install checkov) and set CHECKOV to its path, or put checkov on PATH.',
    );
  }
  return candidate;
}

const outdirs: string[] = [];

/** Runs the real app (`cdk/app.ts`) the way the CDK CLI does: cdk.json context plus the given context. */
function synthesizeApp(context: Record<string, unknown>): string {
  const outdir = mkdtempSync(join(tmpdir(), 'mskguard-checkov-'));
  outdirs.push(outdir);
  const result = spawnSync('npx', ['tsx', 'cdk/app.ts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      // No bundling: checkov reads the template, not the function code (and synthesis takes seconds).
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] }),
    },
  });
  if (result.status !== 0) throw new Error(`cdk/app.ts failed:\n${result.stdout}\n${result.stderr}`);
  return outdir;
}

interface CheckovFinding {
  readonly check_id: string;
  readonly resource: string;
  readonly check_result?: { readonly suppress_comment?: string };
}
interface CheckovReport {
  readonly summary: { passed: number; failed: number; skipped: number };
  readonly results: { failed_checks: CheckovFinding[]; skipped_checks: CheckovFinding[] };
}

function scan(outdir: string): CheckovReport {
  const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  expect(templates).toHaveLength(1);
  const result = spawnSync(
    checkov(),
    ['-f', join(outdir, templates[0]!), '--framework', 'cloudformation', '--compact', '-o', 'json'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' } },
  );
  // checkov exits 1 when a check failed; anything else (2: usage, crash) is an error of the run.
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`checkov failed:\n${result.stdout}\n${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as CheckovReport | CheckovReport[];
  return Array.isArray(parsed) ? parsed[0]! : parsed;
}

describe('checkov on the synthesized app', () => {
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('finds checkov', () => {
    expect(checkov()).toBeTruthy();
  });

  it.each([
    ['demo (no context)', {}],
    ['existing provisioned 3.5 + SCRAM + Upstash', contextFixture('existing-scram-upstash.context.json')],
    ['existing serverless + IAM + ElastiCache', contextFixture('existing-serverless-iam.context.json')],
  ])(
    '%s has no failed check, and every skip carries a reason',
    (_name, context) => {
      // Prepare
      const outdir = synthesizeApp(context);

      // Act
      const report = scan(outdir);

      // Assess
      const failed = report.results.failed_checks.map((f) => `${f.check_id} ${f.resource}`);
      expect(failed).toEqual([]);
      expect(report.summary.passed).toBeGreaterThan(100);
      for (const skip of report.results.skipped_checks) {
        const reason = skip.check_result?.suppress_comment ?? '';
        expect(reason.length, `${skip.check_id} ${skip.resource} needs a reason`).toBeGreaterThan(40);
      }
    },
    240_000,
  );
});
