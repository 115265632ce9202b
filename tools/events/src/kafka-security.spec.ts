import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startSecureTestBroker, type SecureTestBroker } from '@switchboard/testing';

// The CLI reads the same KAFKA_SSL_* / KAFKA_SASL_* variables as the services
// (the secured broker itself is exercised in libs/event-bus kafka-security.spec.ts).
const workspaceRoot = join(__dirname, '../../..');

function runEvents(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['tools/scripts/run-ts.mjs', 'tools/events/src/main.ts', ...args],
      { cwd: workspaceRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('events and Kafka security settings', () => {
  it('refuses bad settings before connecting, naming each variable and never the password', async () => {
    const { code, stdout, stderr } = await runEvents(['lag', 'reporting-service'], {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: '',
      KAFKA_SASL_PASSWORD: 'hunter2-secret',
      KAFKA_SSL_CA_FILE: join(workspaceRoot, 'no-such-ca.pem'),
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('KAFKA_SASL_USERNAME: is required when KAFKA_SASL_MECHANISM is set');
    expect(stderr).toContain('KAFKA_SSL_CA_FILE: cannot read the file: ENOENT');
    expect(stderr).not.toContain('hunter2');
  }, 60_000);
});

describe('events on a secured broker', () => {
  let broker: SecureTestBroker;
  beforeAll(async () => {
    broker = await startSecureTestBroker();
  }, 240_000);
  afterAll(() => broker?.stop(), 60_000);

  const as = (user: string) => ({
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_SSL_CA_FILE: broker.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: broker.passwords[user]!,
  });

  it('works as the admin super user', async () => {
    // On a broker this new the group coordinator may still be loading, which
    // the CLI reports rather than retries; wait for it to settle.
    const list = () => runEvents(['dlq', 'list', 'sales.orders.v1'], as('admin'));
    const deadline = Date.now() + 30_000;
    let result = await list();
    while (
      /correct coordinator|coordinator is loading/.test(result.stderr) &&
      Date.now() < deadline
    ) {
      result = await list();
    }
    const { code, stderr } = result;
    expect(stderr).toContain('0 dead letters in sales.orders.v1.dlq');
    expect(code).toBe(0);
  }, 60_000);

  it("says clearly when a service's principal may not do what was asked", async () => {
    const { code, stderr } = await runEvents(
      ['dlq', 'list', 'sales.orders.v1'],
      as('reporting-service'),
    );
    expect(code).toBe(1);
    expect(stderr).toContain('events: Kafka refused reporting-service');
    expect(stderr).toContain('run it as a super user');
  }, 60_000);
});
