import { spawnSync } from 'node:child_process';
import { findScript } from './start-launcher';

// tools/rabbitmq/local-rabbitmq.mjs on a machine without RabbitMQ: `npm start`
// relies on its exit code to run everything else.
describe('local-rabbitmq.mjs without RabbitMQ', () => {
  it('says how to install it and exits with code 3', () => {
    const result = spawnSync(
      process.execPath,
      [
        findScript('tools/rabbitmq/local-rabbitmq.mjs'),
        '--port',
        '1',
        '--data-dir',
        '/nonexistent',
      ],
      {
        env: { ...process.env, RABBITMQ_SERVER: '/nonexistent/rabbitmq-server' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('RabbitMQ is not installed (no /nonexistent/rabbitmq-server)');
    expect(result.stderr).toContain('apt-get install rabbitmq-server');
  });
});
