// The local stack can start a subset of its services (the dedup benchmark starts only Redis and
// the REST endpoint, so no JVM warms up beside it): what is asked for and what it needs start,
// and nothing else; `down` stops exactly those, or only what one `up` started (and what needs it);
// an `up` that fails stops what it started; Toxiproxy is optional: when it cannot be built the
// stack comes up without it and says so. `install` does the first-use work and starts nothing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPids } from '#local/processes.ts';
import { runningStackEndpoints, stackDown, stackInstall, stackStatus, stackUp } from '#local/stack.ts';
import { loadStackConfig } from '#local/stack-config.ts';

describe('stackUp with only', () => {
  const state = mkdtempSync(join(tmpdir(), 'mskguard-partial-'));
  // Ports of their own, and a state dir of their own: the suite's stack is left alone.
  const config = loadStackConfig({
    ...process.env,
    MSKGUARD_STACK_STATE: state,
    MSKGUARD_REDIS_PORT: '26379',
    MSKGUARD_UPSTASH_PORT: '28079',
    MSKGUARD_KAFKA_PORT: '29092',
    MSKGUARD_KAFKA_CONTROLLER_PORT: '29093',
    MSKGUARD_DYNAMODB_PORT: '28000',
  });
  afterAll(async () => {
    await stackDown({ config });
    rmSync(state, { recursive: true, force: true });
  });

  it('starts the REST endpoint with the Redis it needs, and no Kafka or DynamoDB', async () => {
    // Act
    const { started, endpoints } = await stackUp({ config, only: ['upstash'] });

    // Assess
    expect([...started].sort()).toEqual(['redis', 'upstash']);
    expect(endpoints.REDIS_URL).toBe('redis://127.0.0.1:26379');
    const status = Object.fromEntries((await stackStatus(config)).map((s) => [s.name, s.answering]));
    expect(status).toEqual({
      redis: true,
      upstash: true,
      kafka: false,
      dynamodb: false,
      toxiproxy: false,
      'redis-cluster': false,
    });
    expect(runningStackEndpoints(config, ['redis', 'upstash'])).toEqual(endpoints);
    expect(runningStackEndpoints(config)).toBeUndefined();
    expect((await stackDown({ config })).sort()).toEqual(['redis', 'upstash']);
  }, 60_000);

  it('stops only what one up started when asked, leaving what was running before', async () => {
    // Prepare: Redis up first (as a user's partial stack), then the REST endpoint by another up.
    await stackUp({ config, only: ['redis'] });
    const { started } = await stackUp({ config, only: ['upstash'] });

    // Act
    const stopped = await stackDown({ config, only: started });

    // Assess
    expect(started).toEqual(['upstash']);
    expect(stopped).toEqual(['upstash']);
    const status = Object.fromEntries((await stackStatus(config)).map((s) => [s.name, s.answering]));
    expect(status).toEqual({
      redis: true,
      upstash: false,
      kafka: false,
      dynamodb: false,
      toxiproxy: false,
      'redis-cluster': false,
    });
    expect(runningStackEndpoints(config, ['redis'])?.REDIS_URL).toBe('redis://127.0.0.1:26379');
    expect(await stackDown({ config })).toEqual(['redis']);
  }, 60_000);

  it('stops what it started when a service fails to start, and says which and why', async () => {
    // Prepare: the REST endpoint (a Node process) cannot start; the Redis it needs can.
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--require /nonexistent/mskguard-fails-to-start.cjs';

    // Act
    const up = stackUp({ config, only: ['upstash'] }).finally(() => {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    });

    // Assess
    await expect(up).rejects.toThrow(/upstash exited during start-up/);
    const running = (await stackStatus(config)).filter((s) => s.running).map((s) => s.name);
    expect(running).toEqual([]);
    expect(runningStackEndpoints(config, ['redis'])).toBeUndefined();
  }, 60_000);

  it('comes up without Toxiproxy when it cannot be built, says why, and publishes no TOXI endpoints', async () => {
    // Prepare: an empty cache (nothing built) and a Go that may not download modules.
    const cache = mkdtempSync(join(tmpdir(), 'mskguard-nogo-'));
    const noGo = loadStackConfig({
      ...process.env,
      MSKGUARD_STACK_STATE: state,
      MSKGUARD_STACK_CACHE: cache,
      MSKGUARD_REDIS_PORT: '26379',
      MSKGUARD_UPSTASH_PORT: '28079',
      MSKGUARD_KAFKA_PORT: '29092',
      MSKGUARD_KAFKA_CONTROLLER_PORT: '29093',
      MSKGUARD_DYNAMODB_PORT: '28000',
      MSKGUARD_TOXIPROXY_PORT: '28474',
      MSKGUARD_TOXI_REDIS_PORT: '26380',
      MSKGUARD_TOXI_UPSTASH_PORT: '28080',
    });
    const saved = { GOPROXY: process.env.GOPROXY, GOMODCACHE: process.env.GOMODCACHE };
    process.env.GOPROXY = 'off';
    process.env.GOMODCACHE = join(cache, 'gomod');
    const lines: string[] = [];

    // Act
    const up = await stackUp({ config: noGo, only: ['toxiproxy'], log: (l) => lines.push(l) }).finally(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    // Assess
    expect([...up.started].sort()).toEqual(['redis', 'upstash']);
    expect(up.endpoints.TOXIPROXY_URL).toBeUndefined();
    expect(lines.join('\n')).toMatch(
      /toxiproxy is optional and unavailable, the stack runs without it: go install/,
    );
    expect(runningStackEndpoints(noGo, ['redis', 'upstash'])?.TOXI_REDIS_URL).toBeUndefined();
    expect((await stackDown({ config: noGo })).sort()).toEqual(['redis', 'upstash']);
    rmSync(cache, { recursive: true, force: true });
  }, 60_000);

  it('install readies every service and the Kafka tools, and starts none of them', () => {
    // Act: the suite's own cache already holds the jars and Toxiproxy, so this downloads nothing.
    const lines: string[] = [];
    const installed = stackInstall({ config, log: (l) => lines.push(l) });

    // Assess
    expect([...installed].sort()).toEqual([
      'dynamodb',
      'kafka',
      'redis',
      'redis-cluster',
      'toxiproxy',
      'upstash',
    ]);
    expect(lines.filter((l) => /fetching|building/.test(l))).toEqual([]);
    expect(existsSync(join(config.paths.cache, 'kafka-tools', '.complete'))).toBe(true);
    expect(readPids(config.paths.pidsFile)).toEqual({});
  });

  it('stops what needs a service along with it', async () => {
    // Prepare
    await stackUp({ config, only: ['upstash'] });

    // Act
    const stopped = await stackDown({ config, only: ['redis'] });

    // Assess: the REST endpoint is not left fronting a stopped Redis.
    expect(stopped).toEqual(['upstash', 'redis']);
    expect((await stackStatus(config)).some((s) => s.running)).toBe(false);
  }, 60_000);
});
