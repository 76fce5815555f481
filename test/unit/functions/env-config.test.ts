// Guarantee: G6 for the functions' own configuration: a malformed environment value gets a typed,
// actionable ConfigurationError at cold start, never a SyntaxError, a NaN that silently changes
// behaviour, or a TypeError on the first request.
import { afterEach, describe, expect, it, vi } from 'vitest';

const BASE = {
  MSKGUARD_KAFKA_BROKERS: '127.0.0.1:9092',
  MSKGUARD_KAFKA_AUTH: 'none',
  MSKGUARD_CHECKPOINT_TABLE: 'cp',
  MSKGUARD_AUDIT_TABLE: 'audit',
  AWS_REGION: 'us-east-1',
};
const TARGET = { consumerGroupId: 'g', topic: 't', eventSourceMappingId: 'u', functionName: 'f' };

async function load(path: string, env: Record<string, string>): Promise<unknown> {
  vi.resetModules();
  for (const [k, v] of Object.entries({ ...BASE, ...env })) vi.stubEnv(k, v);
  return import(path);
}

afterEach(() => vi.unstubAllEnvs());

describe('functions/watchdog.ts configuration', () => {
  const targets = JSON.stringify([TARGET]);

  it.each(['abc', '', '-5', '1.5'])('refuses MSKGUARD_MAX_RESTORE_SECONDS=%j', async (value) => {
    // Act
    const loading = load('#functions/watchdog.ts', {
      MSKGUARD_WATCHDOG_TARGETS: targets,
      MSKGUARD_MAX_RESTORE_SECONDS: value,
    });

    // Assess
    // By name: resetModules loads a fresh copy of shared/errors.ts, so instanceof would not match.
    await expect(loading).rejects.toMatchObject({ name: 'ConfigurationError' });
    await expect(loading).rejects.toThrow(/MSKGUARD_MAX_RESTORE_SECONDS must be a whole number/);
  });

  it('accepts a valid timeout', async () => {
    // Act
    const mod = (await load('#functions/watchdog.ts', {
      MSKGUARD_WATCHDOG_TARGETS: targets,
      MSKGUARD_MAX_RESTORE_SECONDS: '600',
    })) as { handler: unknown };

    // Assess
    expect(typeof mod.handler).toBe('function');
  });
});

describe('functions/restore.ts configuration', () => {
  it.each([
    ['not JSON', '[{consumerGroupId:'],
    ['an object', JSON.stringify(TARGET)],
    ['an entry without its ESM', JSON.stringify([{ consumerGroupId: 'g', topic: 't' }])],
    ['a null entry', '[null]'],
  ])('refuses MSKGUARD_RESTORE_TARGETS that is %s', async (_name, value) => {
    // Act
    const loading = load('#functions/restore.ts', { MSKGUARD_RESTORE_TARGETS: value });

    // Assess
    // By name: resetModules loads a fresh copy of shared/errors.ts, so instanceof would not match.
    await expect(loading).rejects.toMatchObject({ name: 'ConfigurationError' });
    await expect(loading).rejects.toThrow(/MSKGUARD_RESTORE_TARGETS/);
  });

  it('accepts the targets the stack writes', async () => {
    // Act
    const mod = (await load('#functions/restore.ts', {
      MSKGUARD_RESTORE_TARGETS: JSON.stringify([TARGET]),
    })) as { handler: unknown };

    // Assess
    expect(typeof mod.handler).toBe('function');
  });
});
