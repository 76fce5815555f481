// The region check of the commands that read DynamoDB or the Lambda API counts what the AWS SDK
// finds by itself: a region in the AWS profile works as AWS_REGION does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sdkDefaultRegion } from '#shared/aws/sdk.ts';
import { requireAwsRegion, runRegion } from '#shared/cli/aws-region.ts';
import { UsageError } from '#shared/cli/command.ts';

const dir = mkdtempSync(join(tmpdir(), 'mskguard-region-'));

/** An AWS shared config file holding `text`; a new path each time (the SDK caches files by path). */
function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('sdkDefaultRegion', () => {
  beforeEach(() => {
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) vi.stubEnv(name, undefined);
  });
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    ['[default]\nregion = ap-south-1\n', undefined, 'ap-south-1'],
    ['[default]\nregion = ap-south-1\n[profile ops]\nregion = eu-north-1\n', 'ops', 'eu-north-1'],
    ['[default]\noutput = json\n', undefined, undefined],
  ])('reads the profile region from the shared config (%j, AWS_PROFILE %s): %s', async (text, profile, region) => {
    // Prepare
    vi.stubEnv('AWS_CONFIG_FILE', configFile(`config-${profile}-${region}`, text));
    if (profile) vi.stubEnv('AWS_PROFILE', profile);

    // Act
    const found = await sdkDefaultRegion();

    // Assess
    expect(found).toBe(region);
  });
});

describe('requireAwsRegion', () => {
  it('passes a given region without asking the SDK', async () => {
    // Prepare
    const lookup = vi.fn(async () => undefined);

    // Act
    await requireAwsRegion({ what: 'X', api: 'lambda' }, runRegion('eu-west-1', lookup));

    // Assess
    expect(lookup).not.toHaveBeenCalled();
  });

  it('asks the SDK at most once per run, and not for a DynamoDB endpoint', async () => {
    // Prepare
    const lookup = vi.fn(async () => 'eu-north-1');
    const region = runRegion(undefined, lookup);

    // Act
    const local = await requireAwsRegion(
      { what: 'T', api: 'dynamodb', endpoint: 'http://127.0.0.1:8000' },
      region,
    );
    const found = [
      await requireAwsRegion({ what: 'T', api: 'dynamodb', endpoint: undefined }, region),
      await requireAwsRegion({ what: '--esm-uuid u', api: 'lambda' }, region),
    ];

    // Assess
    expect(local).toBeUndefined();
    expect(found).toEqual(['eu-north-1', 'eu-north-1']);
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('is a UsageError naming what needs the region when neither has one', async () => {
    // Act
    const failure = await requireAwsRegion(
      { what: '--esm-uuid u', api: 'lambda' },
      runRegion(undefined, async () => undefined),
    ).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(UsageError);
    expect((failure as Error).message).toMatch(/^--esm-uuid u needs an AWS region: pass --region R/);
  });
});
