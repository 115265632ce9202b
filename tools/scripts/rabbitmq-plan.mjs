// What `npm start` does about RabbitMQ, decided before nx starts anything:
// tools/rabbitmq/local-rabbitmq.mjs --check says whether a broker answers or
// rabbitmq-server is installed. Without either, the rabbitmq serve task is
// left out (it could only fail), its advice is printed once, and the banner
// does not wait for the subscription service, which then serves its API and
// keeps matched deliveries in PostgreSQL until a broker answers.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Exit code of local-rabbitmq.mjs when RabbitMQ is not installed. */
const NOT_INSTALLED = 3;

/** The services that need RabbitMQ while QUEUE_URL names it (or is unset: the default is amqp). */
const RABBITMQ_SERVICES = ['subscription-service'];

/** Whether QUEUE_URL selects RabbitMQ: unset (the development default) or amqp(s)://. */
export function queueIsRabbitMq(env) {
  const url = env.QUEUE_URL?.trim();
  return !url || /^amqps?:/i.test(url);
}

/**
 * { missing: false, waiting: [] } when RabbitMQ can run; otherwise its advice
 * and the services whose SERVING the banner should not wait for.
 */
export async function planRabbitMq(root, env) {
  const check = spawn(
    process.execPath,
    [join(root, 'tools/rabbitmq/local-rabbitmq.mjs'), '--check'],
    {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  check.stderr.on('data', (chunk) => (stderr += chunk));
  const status = await new Promise((done) => {
    check.once('error', () => done(null));
    check.once('close', (code) => done(code));
  });
  if (status !== NOT_INSTALLED) return { missing: false, waiting: [] };
  return {
    missing: true,
    advice: stderr.trim(),
    waiting: queueIsRabbitMq(env) ? RABBITMQ_SERVICES : [],
  };
}
