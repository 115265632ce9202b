// A dependency-light grpc.health.v1 client for the start script: the request
// is the empty message and the answer is one enum field, so the two bytes are
// decoded by hand instead of loading the generated code.
import { readFileSync } from 'node:fs';
import grpc from '@grpc/grpc-js';

export const SERVICES = [
  { name: 'auth-service', port: 50051, env: 'AUTH' },
  { name: 'inventory-service', port: 50052, env: 'INVENTORY' },
  { name: 'order-service', port: 50053, env: 'ORDER' },
  { name: 'post-service', port: 50054, env: 'POST' },
  { name: 'notification-service', port: 50055, env: 'NOTIFICATION' },
  { name: 'reporting-service', port: 50056, env: 'REPORTING' },
  { name: 'subscription-service', port: 50057, env: 'SUBSCRIPTION' },
];

const STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/**
 * With TLS_* files set, the services serve TLS (and may require a client
 * certificate): dial them as they dial each other. A file that cannot be read
 * is the services' own start-up error to report; the check then tries plaintext.
 */
function credentials(env = process.env) {
  if (!env.TLS_CERT_FILE && !env.TLS_CA_FILE) return grpc.credentials.createInsecure();
  try {
    const file = (name) => (env[name] ? readFileSync(env[name]) : null);
    return grpc.credentials.createSsl(
      file('TLS_CA_FILE'),
      file('TLS_KEY_FILE'),
      file('TLS_CERT_FILE'),
    );
  } catch {
    return grpc.credentials.createInsecure();
  }
}

/** Resolves to 'SERVING', 'NOT_SERVING', … or 'DOWN' when nothing answers. */
export function checkHealth(address, timeoutMs = 1000) {
  const client = new grpc.Client(address, credentials());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (b) => b,
      (b) => b,
      Buffer.alloc(0),
      { deadline: Date.now() + timeoutMs },
      (err, reply) => {
        client.close();
        if (err) return resolve('DOWN');
        // Field 1, varint: tag byte 0x08 then the value; absent means 0 (UNKNOWN).
        resolve(
          reply.length >= 2 && reply[0] === 0x08 ? (STATUS[reply[1]] ?? 'UNKNOWN') : 'UNKNOWN',
        );
      },
    );
  });
}

export function serviceAddress(service, env = process.env) {
  return env[`${service.env}_ADDR`] ?? `127.0.0.1:${env[`${service.env}_PORT`] ?? service.port}`;
}

/** Polls until every one of `services` is SERVING; returns the last statuses either way. */
export async function waitForServing({
  timeoutMs,
  intervalMs = 500,
  isCancelled = () => false,
  services = SERVICES,
}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(services.map((s) => checkHealth(serviceAddress(s))));
    const ready = statuses.every((s) => s === 'SERVING');
    if (ready || Date.now() > deadline || isCancelled()) return { ready, statuses };
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
