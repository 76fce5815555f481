import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StackError } from '#local/errors.ts';
import { ensureJars, ensureJava, POMS } from './installers.ts';
import { loadStackConfig } from './stack-config.ts';

const run = promisify(execFile);

/** Fetches Kafka's tool jars into the stack's cache on first use; returns their folder. */
export function ensureKafkaToolJars(log: (line: string) => void = () => {}): string {
  const jars = join(loadStackConfig().paths.cache, 'kafka-tools');
  ensureJars(POMS.kafkaTools, jars, log);
  return jars;
}

/** What `kafka-consumer-groups` printed, and how long the JVM took (start included). */
export interface KafkaToolRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Apache Kafka's own `kafka-consumer-groups` (ConsumerGroupCommand of kafka-tools 3.9.1, fetched
 * from Maven Central into the stack's jar cache on first use), run as the shell script would run it:
 * one JVM per call. The reference next to which restore is benched and whose CSV it must read and
 * write.
 *
 * @example
 * ```ts
 * const tool = kafkaConsumerGroups();
 * await tool(['--bootstrap-server', brokers, '--group', 'g', '--reset-offsets', '--to-earliest', '--topic', 't', '--execute']);
 * ```
 */
export function kafkaConsumerGroups(
  log: (line: string) => void = () => {},
): (args: readonly string[]) => Promise<KafkaToolRun> {
  const jars = ensureKafkaToolJars(log);
  const java = ensureJava();
  return async (args) => {
    const started = performance.now();
    try {
      const { stdout, stderr } = await run(
        java,
        [
          // kafka-run-class.sh's defaults (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS).
          '-Xmx256M',
          '-server',
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-XX:InitiatingHeapOccupancyPercent=35',
          '-XX:+ExplicitGCInvokesConcurrent',
          '-Djava.awt.headless=true',
          '-cp',
          `${jars}/*`,
          'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
          ...args,
        ],
        { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      );
      return { stdout, stderr, ms: performance.now() - started };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new StackError(
        `kafka-consumer-groups ${args.join(' ')} failed: ${(e.stderr || e.stdout || e.message).slice(-1500)}`,
        { cause: error },
      );
    }
  };
}
