// The restore and watchdog functions take the same Kafka auth modes as the CLI (none, tls, iam,
// scram): a deployment made by hand can reach a TLS-only listener. Anything else fails at cold
// start with the variable and the modes named.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import { kafkaAuthFromEnv } from '#shared/runtime/kafka-auth-env.ts';

describe('kafkaAuthFromEnv', () => {
  it.each(['none', 'tls', 'iam', 'scram'] as const)('takes %s', (mode) => {
    expect(kafkaAuthFromEnv(mode, 'restore')).toBe(mode);
  });

  it('reads unset or empty as none', () => {
    expect(kafkaAuthFromEnv(undefined, 'watchdog')).toBe('none');
    expect(kafkaAuthFromEnv('', 'watchdog')).toBe('none');
  });

  it.each([
    'TLS',
    'sasl',
    'constructor',
    'mtls',
  ])('refuses %s, naming the variable and the modes', (value) => {
    const attempt = () => kafkaAuthFromEnv(value, 'restore');
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      `MSKGUARD_KAFKA_AUTH=${value} on the restore function: set one of none, tls, iam, scram`,
    );
  });
});

describe('the watchdog function with MSKGUARD_KAFKA_AUTH=tls', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('starts (it refused tls before) and refuses an unknown mode at cold start', async () => {
    // Prepare: what the stack sets; nothing connects until the handler runs.
    vi.stubEnv('MSKGUARD_KAFKA_BROKERS', 'b-1.example:9094');
    vi.stubEnv('MSKGUARD_CHECKPOINT_TABLE', 'checkpoints');
    vi.stubEnv('MSKGUARD_AUDIT_TABLE', 'audit');
    vi.stubEnv('MSKGUARD_WATCHDOG_TARGETS', '[]');
    vi.stubEnv('MSKGUARD_KAFKA_AUTH', 'tls');

    // Act
    const watchdog = await import('../../../functions/watchdog.ts');
    vi.resetModules();
    vi.stubEnv('MSKGUARD_KAFKA_AUTH', 'plain');
    const refused = import('../../../functions/watchdog.ts');

    // Assess
    expect(typeof watchdog.handler).toBe('function');
    await expect(refused).rejects.toThrow('MSKGUARD_KAFKA_AUTH=plain on the watchdog function');
  });
});
