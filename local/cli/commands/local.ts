import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, UsageError } from '#shared/cli/command.ts';

const HELP = `Usage: mskguard local [options]        (npm run local -- [options])

Runs the whole pipeline on the local stack, on real services: produces order events with duplicates to
a new topic, runs the reference order consumer behind the mskGuard middleware through an emulator of the
Lambda Kafka poller (Lambda's batches, event format and commit-after-success), injects faults, and
prints a summary on stdout. Progress and phases go to stderr.

The stack (Kafka, DynamoDB Local, Redis, the Upstash REST endpoint, Toxiproxy when Go is installed) is
started when it is not running, and it is LEFT RUNNING afterwards, also after Ctrl-C: 'npm run stack:down'
stops it. Its ports move with the MSKGUARD_*_PORT variables ('npm run stack:up -- --help' lists them);
the endpoints are in .local/stack/stack.env. Tables are created when missing; every
run uses a topic and a consumer group of its own, so runs never collide.

Faults (unless --no-faults), in this order:
  1. the handler throws before touching its batch       -> the poller retries the whole batch
  2. a record fails mid-batch                           -> partial-batch response, redelivery from it
  3. the consumer crashes mid-batch after an invocation succeeded and before its commit
                                                        -> a new poller rereads; the watermark withholds
  4. the dedup cache stops answering while new orders arrive
                                                        -> degraded mode (alarms degradedMode, cacheErrors)
  5. a producer resends processed orders for 25 s       -> withheld by the exact tier (alarm duplicateRate)
  6. in probabilistic mode, 40 processed orders are produced again
                                                        -> Bloom hits quarantined (alarm quarantineGrowth)
  7. the consumer is stopped for 25 s while records arrive
                                                        -> alarms esmNotEnabled, watchdogCheckpointAge, lagGrowing
  8. the group's committed offsets are lost (group deleted while the consumer is down)
                                                        -> restore auto --execute puts them back

Alarms: the watchdog runs beside the consumer; at the end the alarms of the synthesized stack
(cdk/app.ts, demo configuration with this run's topic and group) are evaluated over every EMF line the
guard and the watchdog printed, with time compressed (1 s = 1 CloudWatch minute). The summary lists
the alarms that would have fired; --json writes them under "alarms". A run with --no-faults fires none.

Options:
  --records N          records to produce, duplicates included (default 20000)
  --partitions N       partitions of the topic (default 3)
  --batch-size N       records per invocation, 1-10000 (default 500)
  --duplicate-rate R   duplicate deliveries per record: 2/3 producer duplicates, 1/3 redeliveries (default 0.173)
  --cache KIND         upstash (the REST endpoint, as from Lambda) or resp (default upstash)
  --no-faults          only the duplicates, no injected faults; the records arrive as a steady stream
                       over 25 s so that every alarm window is judged (none fires)
  --json FILE          also write the summary as JSON to FILE
  --help               this text

Exit code: 0 when every business key took effect exactly once and no record was lost; 1 otherwise.

Examples:
  npm run local
  npm run local -- --records 2000 --partitions 6 --json local-run.json`;

function integerFlag(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--${name} must be a positive integer, got ${String(raw)}`);
  return value;
}

/** `mskguard local`: the whole pipeline on the local stack, with faults, and its summary. */
export const localCommand: Command = {
  path: ['local'],
  summary: 'run the pipeline on the local stack with duplicates and faults; print a summary',
  help: HELP,
  options: {
    records: { type: 'string' },
    partitions: { type: 'string' },
    'batch-size': { type: 'string' },
    'duplicate-rate': { type: 'string' },
    cache: { type: 'string' },
    'no-faults': { type: 'boolean' },
    json: { type: 'string' },
  },
  run: async ({ values, positionals }) => {
    if (positionals.length > 0) throw new UsageError(`Unexpected argument: ${positionals.join(' ')}`);
    const cache = (values.cache as string | undefined) ?? 'upstash';
    if (cache !== 'upstash' && cache !== 'resp')
      throw new UsageError(`--cache must be upstash or resp, got ${cache}`);
    const rate = values['duplicate-rate'] === undefined ? undefined : Number(values['duplicate-rate']);
    if (rate !== undefined && !(rate >= 0 && rate < 1))
      throw new UsageError(
        `--duplicate-rate must be a number in [0, 1), got ${String(values['duplicate-rate'])}`,
      );
    // Ctrl-C ends the run at once; the stack's services run in process groups of their own and
    // stay up, as after a finished run: say so, and how to stop them.
    process.once('SIGINT', () => {
      process.stderr.write(
        '\n[local] interrupted; the local stack keeps running: `npm run stack:down` stops it\n',
      );
      process.exit(130);
    });
    // Loaded here, not at the top: the pipeline pulls in Kafka, the AWS SDK and the CDK alarms,
    // seconds of start-up that `--help` and a usage error need not wait for.
    const [{ runLocalPipeline }, { formatSummary }] = await Promise.all([
      import('#local/pipeline/run.ts'),
      import('#local/pipeline/summary.ts'),
    ]);
    const summary = await runLocalPipeline({
      records: integerFlag(values, 'records'),
      partitions: integerFlag(values, 'partitions'),
      batchSize: integerFlag(values, 'batch-size'),
      duplicateRate: rate,
      cache,
      faults: values['no-faults'] !== true,
    });
    process.stdout.write(formatSummary(summary));
    if (typeof values.json === 'string') {
      const file = resolve(values.json);
      writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
      process.stderr.write(`[local] summary written to ${file}\n`);
    }
    process.stderr.write('[local] the local stack is still running: `npm run stack:down` stops it\n');
    return summary.ok ? 0 : 1;
  },
};
