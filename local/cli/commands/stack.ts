import { stackDown, stackStatus, stackUp } from '#local/stack.ts';
import { formatEnv } from '#local/stack-config.ts';
import type { Command } from '#shared/cli/command.ts';

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

const ENV_HELP = `Environment:
  MSKGUARD_KAFKA_PORT (19092)  MSKGUARD_KAFKA_CONTROLLER_PORT (19093)  MSKGUARD_DYNAMODB_PORT (18000)
  MSKGUARD_REDIS_PORT (16379)  MSKGUARD_UPSTASH_PORT (18079)          MSKGUARD_STACK_HOST (127.0.0.1)
  MSKGUARD_STACK_CACHE (.cache/stack: jars)  MSKGUARD_STACK_STATE (.local/stack: pids, logs, env file)`;

/** `mskguard stack up|down|status`: the local service stack. */
export const stackCommands: Command[] = [
  {
    path: ['stack', 'up'],
    summary: 'start Kafka, DynamoDB Local, Redis and the Upstash REST endpoint',
    help: `Usage: mskguard stack up

Starts the local stack on 127.0.0.1: a single-node KRaft Kafka broker, DynamoDB Local (in memory),
redis-server (no persistence) and mskguard's Upstash-REST-compatible endpoint in front of that Redis.
Fetches the Kafka and DynamoDB Local jars from Maven Central on first use (cached in .cache/stack),
installs redis-server with apt-get when it is missing, waits until every service answers, then prints
the endpoints as env lines and writes them to .local/stack/stack.env. Running it twice starts nothing twice.

${ENV_HELP}`,
    run: async () => {
      const { endpoints, started } = await stackUp({ log });
      log(started.length ? `up: started ${started.join(', ')}` : 'up: already running');
      process.stdout.write(formatEnv(endpoints));
      return 0;
    },
  },
  {
    path: ['stack', 'down'],
    summary: 'stop the processes stack up started',
    help: `Usage: mskguard stack down

Stops exactly the processes 'stack up' started (by pid, after checking each is still ours), waits
until they have exited, and removes the env file. Jars stay cached.

${ENV_HELP}`,
    run: async () => {
      const stopped = await stackDown({ log });
      log(stopped.length ? `down: stopped ${stopped.join(', ')}` : 'down: nothing was running');
      return 0;
    },
  },
  {
    path: ['stack', 'status'],
    summary: 'show which local services are running and answering',
    help: `Usage: mskguard stack status

Prints one line per service: pid, whether it runs, whether it answers a real request.
Exit code 0 when all four answer, 3 otherwise.

${ENV_HELP}`,
    run: async () => {
      const statuses = await stackStatus();
      for (const s of statuses) {
        const state = s.answering ? 'answering' : s.running ? 'running, NOT answering' : 'stopped';
        process.stdout.write(`${s.name.padEnd(9)} ${String(s.pid ?? '-').padEnd(8)} ${state}\n`);
      }
      return statuses.every((s) => s.answering) ? 0 : 3;
    },
  },
];
