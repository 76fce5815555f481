import { REQUIRED_SERVICES } from '#local/services.ts';
import { stackDown, stackInstall, stackStatus, stackUp } from '#local/stack.ts';
import { formatEnv } from '#local/stack-config.ts';
import type { Command } from '#shared/cli/command.ts';

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

const ENV_HELP = `Environment:
  MSKGUARD_KAFKA_PORT (19092)  MSKGUARD_KAFKA_CONTROLLER_PORT (19093)  MSKGUARD_DYNAMODB_PORT (18000)
  MSKGUARD_REDIS_PORT (16379)  MSKGUARD_UPSTASH_PORT (18079)          MSKGUARD_STACK_HOST (127.0.0.1)
  MSKGUARD_TOXIPROXY_PORT (18474)  MSKGUARD_TOXI_REDIS_PORT (16380)  MSKGUARD_TOXI_UPSTASH_PORT (18080)
  MSKGUARD_REDIS_CLUSTER_PORT (17001: the cluster's nodes on 17001-17003, their cluster bus on 27001-27003)
  MSKGUARD_STACK_CACHE (.cache/stack: jars, toxiproxy)  MSKGUARD_STACK_STATE (.local/stack: pids, logs, env file)`;

/** `mskguard stack install|up|down|status`: the local service stack. */
export const stackCommands: Command[] = [
  {
    path: ['stack', 'install'],
    summary: 'fetch and build what the stack needs, start nothing',
    help: `Usage: mskguard stack install

Does the first-use work of 'stack up' and starts nothing: fetches the Kafka, DynamoDB Local and Kafka
tools jars from Maven Central into .cache/stack, installs redis-server with apt-get when it is
missing, and builds Toxiproxy with go install (optional: without Go it says so and goes on).
Run it before going offline, or while something else uses the CPU (CI runs it during the type
check). Running it twice downloads nothing twice.

${ENV_HELP}`,
    run: () => {
      const installed = stackInstall({ log });
      log(`install: ready ${installed.join(', ')}`);
      return Promise.resolve(0);
    },
  },
  {
    path: ['stack', 'up'],
    summary: 'start Kafka, DynamoDB Local, Redis, the Upstash REST endpoint and Toxiproxy',
    help: `Usage: mskguard stack up [--cluster]

Starts the local stack on 127.0.0.1: a single-node KRaft Kafka broker, DynamoDB Local (in memory),
redis-server (no persistence), mskguard's Upstash-REST-compatible endpoint in front of that Redis, and
Toxiproxy with two proxies (redis, upstash) in front of those two for fault tests.
Fetches the Kafka and DynamoDB Local jars from Maven Central on first use (cached in .cache/stack),
installs redis-server with apt-get when it is missing, builds Toxiproxy with go install on first use
(optional: without Go the stack runs without it and says so), waits until every service answers, then prints
the endpoints as env lines and writes them to .local/stack/stack.env. Running it twice starts nothing twice.

Options:
  --cluster  also start a 3-node Redis Cluster (redis-server in cluster mode, all masters, no
             replicas, all 16384 slots assigned; configs in .local/stack/redis-cluster) and wait
             until it reports cluster_state:ok; publishes REDIS_CLUSTER_NODES=host:port,host:port,...
             With the stack already up, starts only the cluster.

${ENV_HELP}`,
    options: { cluster: { type: 'boolean' } },
    run: async ({ values }) => {
      const { endpoints, started } = await stackUp({ log, cluster: values.cluster === true });
      log(started.length ? `up: started ${started.join(', ')}` : 'up: already running');
      process.stdout.write(formatEnv(endpoints));
      return 0;
    },
  },
  {
    path: ['stack', 'down'],
    summary: 'stop the processes stack up started',
    help: `Usage: mskguard stack down

Stops exactly the processes 'stack up' started (by pid, after checking each is still ours), the
Redis Cluster's nodes included, waits until they have exited, and removes the env file. Jars stay cached.

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
Exit code 0 when the four required services answer (Toxiproxy and the Redis Cluster are optional),
3 otherwise.

${ENV_HELP}`,
    run: async () => {
      const statuses = await stackStatus();
      for (const s of statuses) {
        const state = s.answering ? 'answering' : s.running ? 'running, NOT answering' : 'stopped';
        process.stdout.write(`${s.name.padEnd(13)} ${String(s.pid ?? '-').padEnd(8)} ${state}\n`);
      }
      const required = new Set<string>(REQUIRED_SERVICES);
      return statuses.every((s) => s.answering || !required.has(s.name)) ? 0 : 3;
    },
  },
];
