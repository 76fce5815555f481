import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import kafkajs, { type Admin, type KafkaConfig } from 'kafkajs';
import { kafkaAuthConfig } from '../shared/aws/kafka-auth.ts';
import { MskGuardError } from '../shared/errors.ts';
import {
  type BrokerConnection,
  checkRequestedConnection,
  namesOtherCluster,
  parseTopicProperties,
  pinnedConnection,
  type TopicResourceSpec,
  TopicSpecError,
} from './kafka-topics-spec.ts';

/**
 * onEvent handler of the `Custom::MskGuardKafkaTopic` resource (cdk/constructs/kafka-topics.ts),
 * used where AWS::MSK::Topic is unavailable (MSK Serverless, Kafka < 3.6). It runs in the VPC and
 * talks to the brokers with kafkajs admin over TLS, authenticated with MSK IAM or SASL/SCRAM.
 *
 * The brokers, auth mode and SCRAM secret are the ones the stack pinned in the function's
 * environment, never a resource's: a Create or Update whose properties name other ones is refused
 * before any secret is read or connection opened (kafka-topics-spec.ts, pinnedConnection).
 *
 * - Create: creates the topic, or adopts an existing one and reconciles it.
 * - Update: grows partitions and rewrites configs; refuses what Kafka cannot do in place.
 * - Delete: deletes the topic only when `AllowDeletion` is true and the resource names the pinned
 *   cluster's brokers (or none); otherwise leaves it in Kafka.
 */

const { Kafka, ConfigResourceTypes, logLevel } = kafkajs;

/** The requested change is impossible in place: fewer partitions or another replication factor. */
export class TopicChangeNotSupportedError extends MskGuardError {}

/** A Kafka admin call failed; `retriable` mirrors kafkajs' classification. */
export class KafkaAdminError extends MskGuardError {}

/** The admin calls the handler needs (a structural subset of kafkajs' Admin, so tests can fake it). */
export type TopicAdmin = Pick<
  Admin,
  | 'listTopics'
  | 'fetchTopicMetadata'
  | 'createTopics'
  | 'createPartitions'
  | 'alterConfigs'
  | 'deleteTopics'
  | 'disconnect'
>;

/** What the Provider framework expects back. */
export interface TopicResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly TopicName: string; readonly Partitions: number; readonly Action: string };
}

/** Dependencies of {@link createTopicsProvider}. */
export interface TopicsProviderDeps {
  /** Opens a connected admin client. */
  readonly connect: (connection: BrokerConnection) => Promise<TopicAdmin>;
  /** Where the stack pinned the cluster (MSKGUARD_KAFKA_*), read per request. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds the onEvent handler around an admin factory (the default export wires kafkajs).
 *
 * @example
 * ```ts
 * const handler = createTopicsProvider({ connect: async () => fakeAdmin, env: { MSKGUARD_KAFKA_BROKERS: 'b-1:9098', MSKGUARD_KAFKA_AUTH: 'iam' } });
 * ```
 */
export function createTopicsProvider(deps: TopicsProviderDeps) {
  return async (event: CloudFormationCustomResourceEvent): Promise<TopicResourceResponse> => {
    checkEvent(event);
    const topic = parseTopicProperties(event.ResourceProperties);
    // A retained topic needs no broker: deleting the resource must not depend on a cluster, secret
    // or network path that may already be gone (stack teardown, a moved cluster). Connecting first
    // turned every such Delete into DELETE_FAILED and a stack stuck until the broker came back.
    if (event.RequestType === 'Delete' && !topic.allowDeletion) return respond(topic, RETAINED);
    const connection = pinnedConnection(deps.env ?? process.env);
    // A Delete carries the properties of an earlier deployment (the cleanup after a replacement, a
    // stack deleted after its cluster moved): refusing those would strand the stack. One naming
    // another cluster (a topic removed, or a rollback's cleanup, in an update that moved the cluster)
    // is retained: the topic lives there, and the pinned cluster's topic of that name is not it.
    // Create and Update carry this deployment's.
    if (event.RequestType === 'Delete' && namesOtherCluster(event.ResourceProperties, connection))
      return respond(topic, OTHER_CLUSTER);
    if (event.RequestType !== 'Delete')
      checkRequestedConnection(event.ResourceProperties, connection, topic.name);
    const admin = await deps.connect(connection);
    try {
      if (event.RequestType === 'Delete') return respond(topic, await deleteTopic(admin, topic));
      const previous =
        event.RequestType === 'Update' ? parseTopicProperties(event.OldResourceProperties) : undefined;
      const sameTopic = previous !== undefined && previous.name === topic.name;
      return respond(topic, await ensureTopic(admin, topic, sameTopic ? previous : undefined));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
}

const REQUEST_TYPES = new Set(['Create', 'Update', 'Delete']);

/**
 * Only the Provider framework invokes this function, but a hand-run test event or a framework change
 * must get a typed answer: an unknown RequestType used to fall through to Create, and a null event
 * crashed on a property read.
 */
function checkEvent(event: unknown): asserts event is CloudFormationCustomResourceEvent {
  const type = (event as { RequestType?: unknown } | null)?.RequestType;
  if (typeof event !== 'object' || event === null || !REQUEST_TYPES.has(String(type))) {
    throw new TopicSpecError(
      `Not a CloudFormation custom resource event: RequestType ${JSON.stringify(type ?? null)}, expected Create, Update or Delete.`,
    );
  }
}

function respond(topic: TopicResourceSpec, action: string): TopicResourceResponse {
  log('info', `topic ${topic.name}: ${action}`, { topic: topic.name, action });
  return {
    PhysicalResourceId: topic.name,
    Data: { TopicName: topic.name, Partitions: topic.partitions, Action: action },
  };
}

async function ensureTopic(
  admin: TopicAdmin,
  spec: TopicResourceSpec,
  previous?: TopicResourceSpec,
): Promise<string> {
  const existing = await describeTopic(admin, spec.name);
  if (!existing) {
    await call(`create topic ${spec.name}`, () =>
      admin.createTopics({
        topics: [
          {
            topic: spec.name,
            numPartitions: spec.partitions,
            replicationFactor: spec.replicationFactor,
            configEntries: configEntries(spec.configs),
          },
        ],
        waitForLeaders: true,
      }),
    );
    return 'created';
  }
  if (existing.replicationFactor !== spec.replicationFactor) {
    throw new TopicChangeNotSupportedError(
      `Topic ${spec.name} has replication factor ${existing.replicationFactor}, the stack asks ${spec.replicationFactor}: ` +
        'changing it needs a partition reassignment. Keep the current value or create a new topic.',
    );
  }
  if (existing.partitions > spec.partitions) {
    throw new TopicChangeNotSupportedError(
      `Topic ${spec.name} has ${existing.partitions} partitions, the stack asks ${spec.partitions}: Kafka cannot ` +
        'remove partitions. Keep the current count or create a new topic.',
    );
  }
  const actions: string[] = [];
  if (existing.partitions < spec.partitions) {
    await call(`grow partitions of ${spec.name}`, () =>
      admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }] }),
    );
    actions.push(`partitions ${existing.partitions}->${spec.partitions}`);
  }
  // Configs are declarative: the declared set replaces the topic's dynamic configs when it changed
  // (or when an existing topic is adopted with declared configs).
  const configsChanged = previous
    ? !sameConfigs(previous.configs, spec.configs)
    : Object.keys(spec.configs).length > 0;
  if (configsChanged) {
    await call(`alter configs of ${spec.name}`, () =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: spec.name, configEntries: configEntries(spec.configs) },
        ],
      }),
    );
    actions.push('configs');
  }
  return actions.length === 0 ? 'unchanged' : `updated (${actions.join(', ')})`;
}

const RETAINED = 'retained (AllowDeletion is false)';
const OTHER_CLUSTER =
  "retained (the resource names another cluster than this provider's; delete the topic there by hand if unwanted)";

async function deleteTopic(admin: TopicAdmin, spec: TopicResourceSpec): Promise<string> {
  if (!spec.allowDeletion) return RETAINED;
  const topics = await call('list topics', () => admin.listTopics());
  if (!topics.includes(spec.name)) return 'already absent';
  await call(`delete topic ${spec.name}`, () => admin.deleteTopics({ topics: [spec.name] }));
  return 'deleted';
}

async function describeTopic(
  admin: TopicAdmin,
  name: string,
): Promise<{ partitions: number; replicationFactor: number } | undefined> {
  const topics = await call('list topics', () => admin.listTopics());
  if (!topics.includes(name)) return undefined;
  const metadata = await call(`describe topic ${name}`, () => admin.fetchTopicMetadata({ topics: [name] }));
  const partitions = metadata.topics.find((t) => t.name === name)?.partitions ?? [];
  return { partitions: partitions.length, replicationFactor: partitions[0]?.replicas.length ?? 0 };
}

function configEntries(configs: Readonly<Record<string, string>>): { name: string; value: string }[] {
  return Object.entries(configs).map(([name, value]) => ({ name, value }));
}

function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof MskGuardError) throw error;
    const retriable =
      typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
    const reason = error instanceof Error ? error.message : String(error);
    throw new KafkaAdminError(`Kafka admin failed to ${what}: ${reason}`, { cause: error, retriable });
  }
}

function log(level: 'info' | 'error', message: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ level, message, ...fields }));
}

/**
 * The kafkajs `ssl` and `sasl` settings of the pinned cluster's auth (MSK IAM tokens, or SCRAM
 * credentials from Secrets Manager), built as restore, status and the watchdog build theirs
 * (shared/aws/kafka-auth.ts).
 */
export async function kafkaAuthFor(connection: BrokerConnection): Promise<Pick<KafkaConfig, 'ssl' | 'sasl'>> {
  return kafkaAuthConfig({
    auth: connection.auth,
    region: process.env.AWS_REGION,
    ...(connection.scramSecretArn ? { scramSecretArn: connection.scramSecretArn } : {}),
  });
}

async function connectKafkajs(connection: BrokerConnection): Promise<TopicAdmin> {
  const kafka = new Kafka({
    clientId: 'mskguard-topics-provider',
    brokers: [...connection.brokers],
    ...(await kafkaAuthFor(connection)),
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { retries: 5 },
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();
  await call('connect to the brokers', () => admin.connect());
  return admin;
}

/** The Lambda entry point. */
export const handler = createTopicsProvider({ connect: connectKafkajs });
