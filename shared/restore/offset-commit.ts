import type { Kafka } from 'kafkajs';
import { GroupActiveError, RestoreFailedError } from './errors.ts';

/** Commits offsets for a group that has no members: what `--execute` writes with. */
export interface OffsetWriter {
  commitOffsets(args: {
    readonly groupId: string;
    readonly topic: string;
    readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
  }): Promise<void>;
  close(): Promise<void>;
}

/** The internal kafkajs objects used: a cluster (connection pool, coordinator lookup) and a broker. */
interface KafkaJsBroker {
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    retentionTime: number;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
}
interface KafkaJsCluster {
  connect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<KafkaJsBroker>;
}
type CreateCluster = (options: { metadataMaxAge: number; allowAutoTopicCreation: boolean }) => KafkaJsCluster;

/** Broker answers meaning "the group has members or is rebalancing": the commit was refused. */
const GROUP_BUSY = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']);

function clusterFactory(kafka: Kafka): CreateCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof create !== 'function') {
    throw new RestoreFailedError(
      'This kafkajs version has no internal createCluster: mskguard restore needs kafkajs 2.2.x (see ' +
        'docs/decisions/0012-restore-offset-commit.md).',
    );
  }
  return create as CreateCluster;
}

/**
 * Commits offsets the way Kafka's AdminClient `alterConsumerGroupOffsets` does: one OffsetCommit
 * request to the group coordinator, as a non-member (generation -1, member id ''). The broker
 * accepts such a commit only while the group is Empty (or unknown), so it is also a last check that
 * no consumer joined since the group was seen Empty. kafkajs has no public call for it (its
 * `admin.setOffsets` joins the group and waits for a fetch: seconds), so this sends the request
 * through kafkajs's own connection (same TLS/SASL) via its internal cluster factory; decision 0012.
 *
 * @example
 * ```ts
 * const writer = directOffsetWriter(kafka);
 * await writer.commitOffsets({ groupId: 'orders', topic: 'orders', partitions: [{ partition: 0, offset: '42' }] });
 * await writer.close();
 * ```
 */
export function directOffsetWriter(kafka: Kafka): OffsetWriter {
  let cluster: KafkaJsCluster | null = null;
  const connected = async (): Promise<KafkaJsCluster> => {
    if (cluster) return cluster;
    const created = clusterFactory(kafka)({ metadataMaxAge: 300_000, allowAutoTopicCreation: false });
    await created.connect();
    // Without the broker list, findGroupCoordinator's first answer names a broker kafkajs does not
    // know yet: it refreshes and retries after its 300 ms initial backoff. One metadata request first
    // costs a few ms (measured: coordinator lookup 250-340 ms -> 1-6 ms).
    await created.refreshMetadata();
    cluster = created;
    return created;
  };
  return {
    async commitOffsets({ groupId, topic, partitions }) {
      const coordinator = await (await connected()).findGroupCoordinator({ groupId });
      try {
        await coordinator.offsetCommit({
          groupId,
          groupGenerationId: -1,
          memberId: '',
          retentionTime: -1,
          topics: [{ topic, partitions: partitions.map((p) => ({ ...p })) }],
        });
      } catch (error) {
        const type = (error as { type?: string }).type ?? '';
        if (GROUP_BUSY.has(type)) {
          throw new GroupActiveError(
            `The broker refused to commit for group ${groupId} (${type}): a consumer joined the group after it was ` +
              'seen Empty. Nothing was written. Stop it and retry.',
            [],
          );
        }
        throw new RestoreFailedError(
          `OffsetCommit for group ${groupId} on ${topic} failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
    async close() {
      await cluster?.disconnect();
      cluster = null;
    },
  };
}
