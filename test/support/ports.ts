import { createServer } from 'node:net';

/**
 * A loopback TCP port nothing listens on right now (the kernel picks it; it is closed again before
 * this returns), for a server a test starts itself or for an endpoint that must be unreachable.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
