import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { StackError } from '#local/errors.ts';
import { PROJECT_ROOT } from './stack-config.ts';

/** The Maven poms kept in the repo that list the jars of each Java service. */
export const POMS = {
  kafka: join(PROJECT_ROOT, 'local', 'maven', 'kafka.pom.xml'),
  dynamodb: join(PROJECT_ROOT, 'local', 'maven', 'dynamodb-local.pom.xml'),
  /** Kafka's command-line tools (kafka-consumer-groups), for the restore bench and interop tests. */
  kafkaTools: join(PROJECT_ROOT, 'local', 'maven', 'kafka-tools.pom.xml'),
} as const;

/** Finds an executable on PATH (or in the sbin folders apt installs servers into). */
export function which(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Copies the jars a pom lists from Maven Central into `dir`, once: a marker file holds the pom's
 * hash, so a second run (or a run after the pom is unchanged) downloads nothing.
 */
export function ensureJars(pom: string, dir: string, log: (line: string) => void): void {
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 16);
  const marker = join(dir, '.complete');
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash) return;
  if (!which('mvn')) {
    throw new StackError(
      'Maven (mvn) is not installed: install it (apt-get install -y maven) and run again.',
    );
  }
  log(`fetching jars for ${pom.split('/').pop()} from Maven Central into ${dir} (first run only)`);
  mkdirSync(dir, { recursive: true });
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (result.status !== 0) {
    throw new StackError(
      `mvn could not fetch the jars of ${pom}:\n${(result.stdout + result.stderr).slice(-2000)}\n` +
        'Check that Maven Central is reachable (or ~/.m2 has the artifacts) and run again.',
    );
  }
  writeFileSync(marker, `${hash}\n`);
}

/** Returns the path of redis-server, installing Debian's package with apt-get when it is missing. */
export function ensureRedisServer(log: (line: string) => void): string {
  const found = which('redis-server');
  if (found) return found;
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new StackError(
      'redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; ' +
        'macOS: brew install redis) and run again.',
    );
  }
  log('installing redis-server with apt-get (first run only)');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', 'redis-server'], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let result = install();
  if (result.status !== 0) {
    execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
    result = install();
  }
  const installed = which('redis-server');
  if (result.status !== 0 || !installed) {
    throw new StackError(`apt-get could not install redis-server:\n${(result.stderr ?? '').slice(-1500)}`);
  }
  // Debian's package starts a system redis on 6379; ours runs on its own port, so leave it be.
  return installed;
}

/** Fails early, with the fix, when Java is missing. */
export function ensureJava(): string {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : which('java');
  if (!java || !existsSync(java)) {
    throw new StackError('Java 17+ is required for Kafka and DynamoDB Local: install a JDK and run again.');
  }
  return java;
}

/** The Toxiproxy release the stack builds (`go install …/cmd/server@TOXIPROXY_VERSION`). */
export const TOXIPROXY_VERSION = 'v2.12.0';
const TOXIPROXY_MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server';

/**
 * Returns the path of Toxiproxy's `server`, building it with `go install` into `dir` (GOBIN) on the
 * first run: a marker file holds the version, so later runs build nothing. Throws a StackError
 * naming the fix when Go is missing or the build fails; the stack then runs without Toxiproxy.
 */
export function ensureToxiproxy(dir: string, log: (line: string) => void): string {
  const server = join(dir, 'server');
  const marker = join(dir, '.complete');
  if (existsSync(server) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === TOXIPROXY_VERSION) {
    return server;
  }
  const go = which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new StackError(
      `Go is not installed, so Toxiproxy (${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION}) cannot be built. ` +
        'Install Go 1.22+ (https://go.dev/dl/) and run again.',
    );
  }
  log(`building Toxiproxy ${TOXIPROXY_VERSION} with go install into ${dir} (first run only)`);
  mkdirSync(dir, { recursive: true });
  const result = spawnSync(go, ['install', `${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GOBIN: dir, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    timeout: 15 * 60_000,
  });
  if (result.status !== 0 || !existsSync(server)) {
    const why = result.error ? String(result.error) : (result.stdout + result.stderr).slice(-2000);
    throw new StackError(
      `go install ${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION} failed:\n${why}\n` +
        'Check that the Go module proxy (GOPROXY) is reachable and run again.',
    );
  }
  writeFileSync(marker, `${TOXIPROXY_VERSION}\n`);
  return server;
}
