import { spawn } from 'node:child_process';
import { join } from 'node:path';

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
