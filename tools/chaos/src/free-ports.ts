import { createServer } from 'node:net';

/** Whether a TCP port on 127.0.0.1 can be listened on right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/**
 * `count` free loopback ports in a row, away from the well-known ones (a
 * Kafka cluster's brokers are addressed as first port + k). Tried at random
 * bases in the ephemeral-free band 40000–49999, so parallel runs rarely meet.
 */
export async function consecutiveFreePorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 40_000 + Math.floor(Math.random() * (10_000 - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.map(isFree));
    if (free.every(Boolean)) return ports;
  }
  throw new Error(`no ${count} consecutive free ports found in 40000-49999`);
}
