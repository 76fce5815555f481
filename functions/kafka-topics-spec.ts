/**
 * The properties of the `Custom::MskGuardKafkaTopic` resource as the topics provider
 * (functions/kafka-topics-provider.ts) reads them: the topic and the broker connection they declare,
 * validated before the provider connects (a TopicSpecError names what to fix in the stack).
 */
import { MskGuardError } from '../shared/errors.ts';

/** The resource properties are invalid (fix the stack and deploy again). */
export class TopicSpecError extends MskGuardError {}

/** A topic as the resource declares it. */
export interface TopicResourceSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
  readonly allowDeletion: boolean;
}

/** How to reach the brokers. */
export interface BrokerConnection {
  readonly brokers: readonly string[];
  readonly auth: { readonly mechanism: 'iam' } | { readonly mechanism: 'scram'; readonly secretArn: string };
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const CONFIG_NAME = /^[a-z0-9.]+$/;

/**
 * Validates and normalises the properties CloudFormation sends (every scalar arrives as a string).
 *
 * @example
 * ```ts
 * parseTopicProperties({ TopicName: 'orders', Partitions: '6', ReplicationFactor: '3', BootstrapBrokers: 'b-1:9098', AuthMechanism: 'iam' });
 * ```
 */
export function parseTopicProperties(raw: Record<string, unknown> | undefined): {
  topic: TopicResourceSpec;
  connection: BrokerConnection;
} {
  const props = raw ?? {};
  const name = String(props.TopicName ?? '');
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new TopicSpecError(`Invalid topic ${JSON.stringify(name)}: use 1–249 of [a-zA-Z0-9._-].`);
  }
  const partitions = positiveInteger(props.Partitions, `partitions of topic ${name}`);
  const replicationFactor = positiveInteger(props.ReplicationFactor, `replication factor of topic ${name}`);
  const configs = parseConfigs(props.Configs, name);
  const brokers = String(props.BootstrapBrokers ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) throw new TopicSpecError(`Topic ${name}: BootstrapBrokers is empty.`);
  const mechanism = String(props.AuthMechanism ?? '');
  let auth: BrokerConnection['auth'];
  if (mechanism === 'iam') auth = { mechanism: 'iam' };
  else if (mechanism === 'scram' && typeof props.ScramSecretArn === 'string' && props.ScramSecretArn !== '') {
    auth = { mechanism: 'scram', secretArn: props.ScramSecretArn };
  } else {
    throw new TopicSpecError(`Topic ${name}: AuthMechanism must be iam, or scram with a ScramSecretArn.`);
  }
  const allowDeletion = String(props.AllowDeletion ?? 'false') === 'true';
  return {
    topic: { name, partitions, replicationFactor, configs, allowDeletion },
    connection: { brokers, auth },
  };
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
