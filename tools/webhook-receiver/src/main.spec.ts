import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Runs the real command, as `npm run webhook-receiver -- ...` does.
const root = join(__dirname, '../../..');

interface Receiver {
  child: ChildProcess;
  url: string;
  lines: () => Record<string, unknown>[];
  stop(): Promise<void>;
}

async function startReceiver(args: string[]): Promise<Receiver> {
  const child = spawn(
    process.execPath,
    [
      '--require',
      join(root, 'libs', 'testing', 'src', 'exit-with-parent.cjs'),
      'tools/scripts/run-ts.mjs',
      'tools/webhook-receiver/src/main.ts',
      '--port',
      '0',
      ...args,
    ],
    { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (url === undefined) {
    url = /listening on (http:\/\/\S+?\/)[;\s]/.exec(stderr)?.[1];
    if (child.exitCode !== null) throw new Error(`the receiver exited:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`the receiver did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    child,
    url,
    lines: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const secret = `whsec_${randomBytes(24).toString('base64')}`;

/** Signs as Standard Webhooks says, independently of the service's signer. */
function signed(id: string, body: string, timestampSeconds = Math.floor(Date.now() / 1_000)) {
  const signature = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  };
}

const binaryEvent = {
  'content-type': 'application/json',
  'ce-specversion': '1.0',
  'ce-id': 'evt-1',
  'ce-source': '/switchboard/order-service',
  'ce-type': 'switchboard.order.v1.OrderPlaced',
};
const data = JSON.stringify({ orderId: 'o-1' });

async function waitForLines(receiver: Receiver, count: number): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 10_000;
  while (receiver.lines().length < count) {
    if (Date.now() > deadline)
      throw new Error(`expected ${count} lines, got ${receiver.lines().length}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return receiver.lines();
}

describe('npm run webhook-receiver', () => {
  let receiver: Receiver;
  afterEach(async () => {
    await receiver?.stop();
  });

  it('answers the handshake, prints verified CloudEvents and refuses bad or old signatures', async () => {
    receiver = await startReceiver(['--secret', secret]);

    const handshake = await fetch(receiver.url, {
      method: 'OPTIONS',
      headers: { 'webhook-request-origin': 'switchboard.example' },
    });
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get('webhook-allowed-origin')).toBe('switchboard.example');
    const notHandshake = await fetch(receiver.url, { method: 'OPTIONS' });
    expect(notHandshake.status).toBe(400);

    const good = await fetch(receiver.url, {
      method: 'POST',
      headers: { ...binaryEvent, ...signed('d-1', data) },
      body: data,
    });
    expect(good.status).toBe(200);
    const again = await fetch(receiver.url, {
      method: 'POST',
      headers: { ...binaryEvent, ...signed('d-1', data) },
      body: data,
    });
    expect(again.status).toBe(200);

    const tampered = await fetch(receiver.url, {
      method: 'POST',
      headers: { ...binaryEvent, ...signed('d-2', data) },
      body: data.replace('o-1', 'o-2'),
    });
    expect(tampered.status).toBe(401);
    const old = await fetch(receiver.url, {
      method: 'POST',
      headers: { ...binaryEvent, ...signed('d-3', data, Math.floor(Date.now() / 1_000) - 600) },
      body: data,
    });
    expect(old.status).toBe(401);
    const unsigned = await fetch(receiver.url, {
      method: 'POST',
      headers: binaryEvent,
      body: data,
    });
    expect(unsigned.status).toBe(401);

    const lines = await waitForLines(receiver, 7);
    expect(lines[0]).toMatchObject({
      method: 'OPTIONS',
      answered: 200,
      handshakeOrigin: 'switchboard.example',
    });
    expect(lines[1]).toMatchObject({ method: 'OPTIONS', answered: 400 });
    expect(lines[2]).toMatchObject({
      method: 'POST',
      answered: 200,
      verified: true,
      id: 'd-1',
      duplicate: false,
      mode: 'binary',
      headers: { ...binaryEvent, 'webhook-id': 'd-1' },
      body: { orderId: 'o-1' },
      event: {
        specversion: '1.0',
        id: 'evt-1',
        source: '/switchboard/order-service',
        type: 'switchboard.order.v1.OrderPlaced',
        datacontenttype: 'application/json',
        data: { orderId: 'o-1' },
      },
    });
    expect(lines[3]).toMatchObject({ answered: 200, id: 'd-1', duplicate: true });
    expect(lines[4]).toMatchObject({
      answered: 401,
      verified: false,
      reason: 'no v1 signature matches',
    });
    expect(lines[5]).toMatchObject({
      answered: 401,
      verified: false,
      reason: expect.stringMatching(/s old/),
    });
    expect(lines[6]).toMatchObject({
      answered: 401,
      reason: 'missing webhook-id, webhook-timestamp or webhook-signature',
    });
  });

  it('fails the first N signed deliveries with 429 and Retry-After when asked', async () => {
    receiver = await startReceiver([
      '--secret',
      secret,
      '--fail-first',
      '2',
      '--fail-status',
      '429',
      '--retry-after',
      '4',
    ]);
    const post = () =>
      fetch(receiver.url, {
        method: 'POST',
        headers: { ...binaryEvent, ...signed('d-9', data) },
        body: data,
      });
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const response = await post();
      answers.push([response.status, response.headers.get('retry-after')]);
    }
    expect(answers).toEqual([
      [429, '4'],
      [429, '4'],
      [200, null],
    ]);
  });

  it('with --secret-file, refuses deliveries with 503 until the secret is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webhook-receiver-'));
    try {
      const file = join(dir, 'secret');
      receiver = await startReceiver(['--secret-file', file]);
      const post = () =>
        fetch(receiver.url, {
          method: 'POST',
          headers: { ...binaryEvent, ...signed('d-5', data) },
          body: data,
        });
      const before = await post();
      expect([before.status, before.headers.get('retry-after')]).toEqual([503, '1']);
      await writeFile(file, `${secret}\n`);
      expect((await post()).status).toBe(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--refuse-handshake answers the handshake with 403 and no allowed origin', async () => {
    receiver = await startReceiver(['--secret', secret, '--refuse-handshake']);
    const handshake = await fetch(receiver.url, {
      method: 'OPTIONS',
      headers: { 'webhook-request-origin': 'switchboard.example' },
    });
    expect(handshake.status).toBe(403);
    expect(handshake.headers.get('webhook-allowed-origin')).toBeNull();
  });
});
