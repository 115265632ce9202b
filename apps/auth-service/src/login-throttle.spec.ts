import { setTimeout as sleep } from 'node:timers/promises';
import type { Storage } from '@switchboard/storage';
import type { AuthDatabase } from './auth-schema';
import { backoffDelayMs, createLoginThrottle, type LoginThrottleSettings } from './login-throttle';
import {
  backends,
  createTestTarget,
  startAuthTestServer,
  type TestDatabaseTarget,
} from './testing/auth-test-harness';

const small: LoginThrottleSettings = {
  freeAttempts: 2,
  baseDelayMs: 10,
  maxDelayMs: 70,
  windowMs: 60_000,
};

describe('backoffDelayMs', () => {
  it('is free for the first failures, then doubles up to the cap', () => {
    const delays = Array.from({ length: 8 }, (_, failures) => backoffDelayMs(failures, small));
    expect(delays).toEqual([0, 0, 10, 20, 40, 70, 70, 70]);
  });

  it('stays at the cap for absurd failure counts', () => {
    expect(backoffDelayMs(1_000_000, small)).toBe(70);
  });
});

describe.each(backends)('login throttle on %s', (backend) => {
  let target: TestDatabaseTarget;
  let storage: Storage<AuthDatabase>;

  beforeAll(async () => {
    target = await createTestTarget(backend);
    storage = await target.open();
  });
  afterAll(async () => {
    await storage?.close();
    await target?.dispose();
  });

  it('grows the delay with each attempt for one email and resets on success', async () => {
    const throttle = createLoginThrottle(storage.db, small);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) delays.push(await throttle.admit('a@example.com'));
    expect(delays).toEqual([0, 0, 10, 20, 40, 70]);
    // Another email is not affected.
    expect(await throttle.admit('b@example.com')).toBe(0);
    await throttle.reset('a@example.com');
    expect(await throttle.admit('a@example.com')).toBe(0);
  });

  it('counts parallel attempts one by one, so they cannot share one delay', async () => {
    const throttle = createLoginThrottle(storage.db, small);
    const delays = await Promise.all(
      Array.from({ length: 5 }, () => throttle.admit('parallel@example.com')),
    );
    expect(delays.sort((a, b) => a - b)).toEqual([0, 0, 10, 20, 40]);
  });

  it('forgets failures after a quiet window and deletes rows nobody tried for a window', async () => {
    const throttle = createLoginThrottle(storage.db, { ...small, windowMs: 100 });
    for (let i = 0; i < 4; i++) await throttle.admit('quiet@example.com');
    await throttle.admit('other@example.com');
    await sleep(150);
    expect(await throttle.admit('quiet@example.com')).toBe(0);
    const emails = await storage.db.selectFrom('login_failures').select('email').execute();
    expect(emails.map((r) => r.email)).not.toContain('other@example.com');
  });
});

describe('Login back-off over gRPC', () => {
  let target: TestDatabaseTarget;
  let storage: Storage<AuthDatabase>;

  beforeAll(async () => {
    target = await createTestTarget('pglite');
    storage = await target.open();
  });
  afterAll(async () => {
    await storage?.close();
    await target?.dispose();
  });

  async function timedLogin(call: () => Promise<unknown>): Promise<{ ms: number; ok: boolean }> {
    const started = performance.now();
    const ok = await call().then(
      () => true,
      () => false,
    );
    return { ms: performance.now() - started, ok };
  }

  it('holds every answer for a guessed email, right password included, and lets go after a success', async () => {
    const base = 150;
    const t = await startAuthTestServer(storage, {
      loginThrottle: { freeAttempts: 1, baseDelayMs: base, maxDelayMs: 1_000, windowMs: 60_000 },
    });
    try {
      const email = 'demo@switchboard.local';
      const wrong = () => t.client.login({ email, password: 'wrong-password' });
      const right = () => t.client.login({ email, password: 'switchboard-demo' });

      const first = await timedLogin(wrong);
      const second = await timedLogin(wrong);
      const third = await timedLogin(right);
      const fourth = await timedLogin(right);
      expect([first.ok, second.ok, third.ok, fourth.ok]).toEqual([false, false, true, true]);
      expect(first.ms).toBeLessThan(base);
      expect(second.ms).toBeGreaterThanOrEqual(base);
      // The right password is not answered faster than a wrong one would be.
      expect(third.ms).toBeGreaterThanOrEqual(2 * base);
      expect(fourth.ms).toBeLessThan(base);
    } finally {
      await t.stop();
    }
  });
});
