import type { ToxiproxyClient } from '#local/toxiproxy.ts';
import { stackVar } from './stack.ts';

/**
 * A Toxiproxy proxy of the test's own in front of the stack's redis-server, on a free port: a
 * suite that adds toxics to it never disturbs another suite's traffic. Returns its `host:port`;
 * the caller deletes it (`toxi.deleteProxy(name)`).
 */
export async function proxyToStackRedis(toxi: ToxiproxyClient, name: string): Promise<string> {
  const redis = new URL(stackVar('REDIS_URL'));
  const created = await toxi.createProxy({
    name,
    listen: '127.0.0.1:0',
    upstream: `${redis.hostname}:${redis.port}`,
  });
  return created.listen;
}
