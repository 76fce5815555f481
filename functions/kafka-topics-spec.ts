/**
 * The properties of the `Custom::MskGuardKafkaTopic` resource as the topics provider
 * (functions/kafka-topics-provider.ts) reads them: the topic, validated before the provider connects
 * (a TopicSpecError names what to fix in the stack), and the broker connection, which must be the
 * cluster pinned in the provider's environment.
 */
import type { KafkaAuthMode } from '../shared/aws/kafka-auth.ts';
import { ConfigurationError, MskGuardError } from '../shared/errors.ts';
import { FUNCTION_ENV } from '../shared/runtime/function-env.ts';
import { kafkaAuthFromEnv } from '../shared/runtime/kafka-auth-env.ts';

/** The resource properties are invalid (fix the stack and deploy again). */
export class TopicSpecError extends MskGuardError {}

/** The resource names another cluster than the one the provider was deployed for. */
export class ClusterMismatchError extends TopicSpecError {}

/** A topic as the resource declares it. */
export interface TopicResourceSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
  readonly allowDeletion: boolean;
}

/**
 * How to reach the brokers: the cluster the stack pinned in the provider function's environment
 * ({@link pinnedConnection}), never one a resource names.
 */
export interface BrokerConnection {
  readonly brokers: readonly string[];
  readonly auth: KafkaAuthMode;
  /** The SCRAM secret, when auth is `scram`. */
  readonly scramSecretArn?: string;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const CONFIG_NAME = /^[a-z0-9.]+$/;

/**
 * Validates and normalises the topic of the properties CloudFormation sends (every scalar arrives
 * as a string). The connection properties are checked apart, by {@link checkRequestedConnection}.
 *
 * @example
 * ```ts
 * parseTopicProperties({ TopicName: 'orders', Partitions: '6', ReplicationFactor: '3' });
 * ```
 */
export function parseTopicProperties(raw: Record<string, unknown> | undefined): TopicResourceSpec {
  const props = raw ?? {};
  const name = String(props.TopicName ?? '');
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new TopicSpecError(`Invalid topic ${JSON.stringify(name)}: use 1–249 of [a-zA-Z0-9._-].`);
  }
  const partitions = positiveInteger(props.Partitions, `partitions of topic ${name}`);
  const replicationFactor = positiveInteger(props.ReplicationFactor, `replication factor of topic ${name}`);
  const configs = parseConfigs(props.Configs, name);
  const allowDeletion = String(props.AllowDeletion ?? 'false') === 'true';
  return { name, partitions, replicationFactor, configs, allowDeletion };
}

/**
 * The cluster the stack pinned in the provider function's environment at synth
 * (MSKGUARD_KAFKA_BROKERS, MSKGUARD_KAFKA_AUTH, MSKGUARD_KAFKA_SECRET_ARN). The provider connects
 * to it and nothing else: whoever may create a resource with the provider's ServiceToken must not
 * be able to send its SCRAM login or a signed MSK IAM token to a host of their choosing.
 *
 * @throws ConfigurationError when a variable is missing or invalid (the function was not deployed
 * by the KafkaTopics construct, or its environment was edited)
 */
export function pinnedConnection(env: Readonly<Record<string, string | undefined>>): BrokerConnection {
  const brokers = brokerList(env[FUNCTION_ENV.KAFKA_BROKERS]);
  const rawAuth = env[FUNCTION_ENV.KAFKA_AUTH] ?? '';
  if (brokers.length === 0 || rawAuth === '') {
    throw new ConfigurationError(
      `The topics provider has no pinned cluster: set ${FUNCTION_ENV.KAFKA_BROKERS} and ${FUNCTION_ENV.KAFKA_AUTH} ` +
        'on its function (the KafkaTopics construct sets them).',
    );
  }
  const auth = kafkaAuthFromEnv(rawAuth, 'topics provider');
  if (auth !== 'scram') return { brokers, auth };
  const scramSecretArn = env[FUNCTION_ENV.KAFKA_SECRET_ARN] ?? '';
  if (scramSecretArn === '') {
    throw new ConfigurationError(
      `The topics provider authenticates with scram but ${FUNCTION_ENV.KAFKA_SECRET_ARN} is not set on its function.`,
    );
  }
  return { brokers, auth, scramSecretArn };
}

/**
 * Refuses a resource whose BootstrapBrokers, AuthMechanism or ScramSecretArn name another cluster
 * than the pinned one. The construct sets them to the pinned values (so a change of cluster updates
 * every topic resource); a resource may leave them out. The message names the property only, and
 * neither value: the provider's answer ends up in the stack's events.
 */
export function checkRequestedConnection(
  raw: Record<string, unknown> | undefined,
  pinned: BrokerConnection,
  topic: string,
): void {
  const props = raw ?? {};
  const differs: string[] = [];
  if (
    props.BootstrapBrokers !== undefined &&
    !sameBrokers(brokerList(props.BootstrapBrokers), pinned.brokers)
  )
    differs.push('BootstrapBrokers');
  if (props.AuthMechanism !== undefined && String(props.AuthMechanism) !== pinned.auth)
    differs.push('AuthMechanism');
  if (props.ScramSecretArn !== undefined && String(props.ScramSecretArn) !== (pinned.scramSecretArn ?? ''))
    differs.push('ScramSecretArn');
  if (differs.length === 0) return;
  throw new ClusterMismatchError(
    `Topic ${topic}: ${differs.join(', ')} differ${differs.length === 1 ? 's' : ''} from the cluster this topics ` +
      'provider was deployed for; refusing to connect. The provider manages topics on its own cluster only: ' +
      'declare the topic in the KafkaTopics construct of the cluster it belongs to.',
  );
}

/**
 * Whether a Delete's properties name another cluster than the pinned one: their BootstrapBrokers
 * share no broker (host:port) with the pinned list. A Delete carries an earlier deployment's
 * properties: after a change of cluster, the cleanup of a topic removed in that update (or the
 * rollback's cleanup of one it created) names the other cluster, where the topic lives. Deleting the
 * topic of that name on the pinned cluster would delete another topic's data. A broker in common is
 * the same cluster (brokers added or replaced, another order or spacing); another port only (an auth
 * mode changed) is not assumed to be. Without BootstrapBrokers, or empty: the pinned cluster.
 */
export function namesOtherCluster(
  raw: Record<string, unknown> | undefined,
  pinned: BrokerConnection,
): boolean {
  const requested = brokerList(raw?.BootstrapBrokers);
  return requested.length > 0 && !requested.some((broker) => pinned.brokers.includes(broker));
}

function brokerList(value: unknown): string[] {
  return String(value ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

function sameBrokers(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((broker) => right.has(broker));
}

function positiveInteger(value: unknown, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new TopicSpecError(`Invalid ${what}: ${String(value)} (integer ≥ 1).`);
  return n;
}

function parseConfigs(value: unknown, topic: string): Record<string, string> {
  if (value === undefined || value === null || value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TopicSpecError(`Topic ${topic}: Configs must be a map of config name to value.`);
  }
  const configs: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!CONFIG_NAME.test(key))
      throw new TopicSpecError(`Topic ${topic}: invalid config name ${JSON.stringify(key)}.`);
    configs[key] = String(v);
  }
  return configs;
}
