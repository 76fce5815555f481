import { Cluster } from 'ioredis';
import { onNode } from '#local/redis-cluster.ts';
import { clusterNodeUrls } from './stack.ts';

const HOST = '127.0.0.1';

/** The ports of the stack's Redis Cluster nodes (REDIS_CLUSTER_NODES). */
export function clusterPorts(): number[] {
  return clusterNodeUrls().map((url) => Number(new URL(url).port));
}

/** The slot of a key, as the cluster computes it (the hash tag's CRC16 when the key has one). */
export async function slotOf(key: string, port = clusterPorts()[0]!): Promise<number> {
  return Number(await onNode(HOST, port, (n) => n.call('CLUSTER', 'KEYSLOT', key)));
}

/** The port of the node that owns a slot now (CLUSTER SLOTS of one node). */
export async function ownerOf(slot: number, port = clusterPorts()[0]!): Promise<number> {
  const ranges = (await onNode(HOST, port, (n) => n.call('CLUSTER', 'SLOTS'))) as [
    number,
    number,
    [string, number],
  ][];
  const range = ranges.find(([first, last]) => first <= slot && slot <= last);
  if (!range) throw new Error(`no node of the cluster owns slot ${slot}`);
  return range[2][1];
}

/**
 * One hash tag per node of the stack's cluster (`${prefix}-0`, `${prefix}-1`, … until every node
 * owns one), keyed by the node's port: keys `mskguard:{tag}…` of two entries land on two nodes.
 */
export async function tagPerNode(prefix: string): Promise<Map<number, string>> {
  const ports = clusterPorts();
  const tags = new Map<number, string>();
  for (let i = 0; tags.size < ports.length; i++) {
    const owner = await ownerOf(await slotOf(`{${prefix}-${i}}`));
    if (!tags.has(owner)) tags.set(owner, `${prefix}-${i}`);
  }
  return tags;
}

/**
 * An ioredis Cluster client on the stack's cluster, for a test's own reads and writes (EXISTS, TTL…
 * of the keys a runner wrote: a plain client on REDIS_URL sees only the single Redis). Quit it.
 */
export function clusterAdmin(): Cluster {
  return new Cluster(clusterPorts().map((port) => ({ host: HOST, port })));
}
