import { Code, ConnectError } from '@connectrpc/connect';
import { isDomainError } from '@switchboard/errors';
import type { Storage } from '@switchboard/storage';
import { errorInfo } from '@switchboard/testing';
import type { AuthDatabase } from './auth-schema';
import { createLoginThrottle, type LoginThrottleSettings } from './login-throttle';
import { DEMO_CUSTOMER } from './seed-users';
import {
  createAuthTestDatabase,
  quietLogger,
  serveAuthDomain,
  startAuthTestServer,
  type AuthTestServer,
} from './testing/auth-test-harness';

const roomy = { capacity: 10_000, refillEveryMs: 1 };
const settings = (overrides: Partial<LoginThrottleSettings>): LoginThrottleSettings => ({
  perAddress: roomy,
  perAccount: roomy,
  global: roomy,
  knownAddressMs: 3_600_000,
  ...overrides,
});

/** The refusal admit() threw, or undefined when it admitted. */
async function refusal(attempt: Promise<unknown>) {
  try {
    await attempt;
    return undefined;
  } catch (err) {
    if (!isDomainError(err)) throw err;
    return {
      code: err.code,
      message: err.message,
      retryAfterMs: err.details?.['retryAfterMs'],
    };
  }
}

/**
 * A database for one describe, its login budgets emptied before each test so
 * that no test inherits another's failures. Safe as hooks here: nothing
 * started on it outlives a test.
 */
function useBudgetDatabase() {
  const database = createAuthTestDatabase();
  let storage: Storage<AuthDatabase> | undefined;
  beforeAll(async () => {
    storage = await database.open();
  });
  beforeEach(async () => {
    await opened().db.deleteFrom('login_account_budgets').execute();
    await opened().db.deleteFrom('login_known_addresses').execute();
  });
  afterAll(() => database.close());
  const opened = () => {
    if (storage === undefined) throw new Error('the budget database is opened in beforeAll');
    return storage;
  };
  return {
    get storage() {
      return opened();
    },
    get db() {
      return opened().db;
    },
  };
}

describe('login throttle', () => {
  const budgets = useBudgetDatabase();
  let now = 1_900_000_000_000;
  const clock = () => now;

  it('limits failures per address across accounts, answering the wait, and refills', async () => {
    const throttle = createLoginThrottle(
      budgets.db,
      settings({ perAddress: { capacity: 3, refillEveryMs: 1_000 } }),
      clock,
    );
    for (let i = 0; i < 3; i++) await throttle.admit(`u${i}@example.com`, '10.0.0.1');
    expect(await refusal(throttle.admit('u9@example.com', '10.0.0.1'))).toEqual({
      code: 'LOGIN_RATE_LIMITED',
      message: 'too many failed logins from your address; try again in 1 s',
      retryAfterMs: 1_000,
    });
    // Another address is not affected; the first gets one attempt back per second.
    expect(await refusal(throttle.admit('u9@example.com', '10.0.0.2'))).toBeUndefined();
    now += 1_000;
    expect(await refusal(throttle.admit('u9@example.com', '10.0.0.1'))).toBeUndefined();
    expect(await refusal(throttle.admit('u9@example.com', '10.0.0.1'))).toBeDefined();
  });

  it('limits failures per account from new addresses, shared by replicas and kept in the database', async () => {
    const limits = settings({ perAccount: { capacity: 3, refillEveryMs: 60_000 } });
    const replicaA = createLoginThrottle(budgets.db, limits, clock);
    const replicaB = createLoginThrottle(budgets.db, limits, clock);
    await replicaA.admit('target@example.com', '10.0.1.1');
    await replicaB.admit('target@example.com', '10.0.1.2');
    await replicaA.admit('target@example.com', '10.0.1.3');
    expect(await refusal(replicaB.admit('target@example.com', '10.0.1.4'))).toMatchObject({
      message: 'too many failed logins for this account from new addresses; try again in 60 s',
      retryAfterMs: 60_000,
    });
    // Another account is not affected; a replica started later sees the count.
    expect(await refusal(replicaB.admit('other@example.com', '10.0.1.4'))).toBeUndefined();
    const restarted = createLoginThrottle(budgets.db, limits, clock);
    expect(await refusal(restarted.admit('target@example.com', '10.0.1.5'))).toBeDefined();
  });

  it('counts parallel attempts one by one, so they cannot share one token', async () => {
    const throttle = createLoginThrottle(
      budgets.db,
      settings({ perAccount: { capacity: 3, refillEveryMs: 60_000 } }),
      clock,
    );
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        refusal(throttle.admit('race@example.com', `10.0.2.${i}`)),
      ),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(3);
  });

  it('exempts an address the account logged in from: neither account nor global budget applies', async () => {
    const throttle = createLoginThrottle(
      budgets.db,
      settings({
        perAccount: { capacity: 2, refillEveryMs: 60_000 },
        global: { capacity: 4, refillEveryMs: 60_000 },
      }),
      clock,
    );
    const home = '192.0.2.10';
    await (await throttle.admit('owner@example.com', home)).succeeded();
    for (const address of ['10.0.3.1', '10.0.3.2'])
      await throttle.admit('owner@example.com', address);
    expect(await refusal(throttle.admit('owner@example.com', '10.0.3.3'))).toBeDefined();
    await throttle.admit('a@example.com', '10.0.3.4');
    await throttle.admit('b@example.com', '10.0.3.5');
    expect(await refusal(throttle.admit('c@example.com', '10.0.3.6'))).toMatchObject({
      message: expect.stringContaining('too many failed logins at this service'),
    });
    // The owner at home is still let in, however often.
    for (let i = 0; i < 5; i++) {
      expect(await refusal(throttle.admit('owner@example.com', home))).toBeUndefined();
    }
    // Known for a while only: an hour later, home is a new address like any other.
    now += 3_600_000 + 1;
    for (const address of ['10.0.3.7', '10.0.3.8'])
      await throttle.admit('owner@example.com', address);
    expect(await refusal(throttle.admit('owner@example.com', home))).toMatchObject({
      message: expect.stringContaining('for this account from new addresses'),
    });
  });

  it('gives the tokens of a successful login back, and forgets full buckets', async () => {
    const throttle = createLoginThrottle(
      budgets.db,
      settings({ perAccount: { capacity: 2, refillEveryMs: 1_000 } }),
      clock,
    );
    for (let i = 0; i < 5; i++) {
      await (await throttle.admit('fine@example.com', `10.0.4.${i}`)).succeeded();
    }
    await throttle.admit('sprayed@example.com', '10.0.4.9');
    now += 2_001;
    await throttle.admit('fresh@example.com', '10.0.4.9');
    const emails = (
      await budgets.db.selectFrom('login_account_budgets').select('email').execute()
    ).map((r) => r.email);
    expect(emails).toContain('fresh@example.com');
    expect(emails).not.toContain('sprayed@example.com');
  });
});

describe('Login budgets over gRPC', () => {
  const budgets = useBudgetDatabase();

  const demo = { email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password };
  const wrong = { email: DEMO_CUSTOMER.email, password: 'wrong-password' };

  /** The service on 127.0.0.1 (t.client) and on ::1 (second), one domain: two client addresses. */
  async function startTwoAddresses(loginThrottle: LoginThrottleSettings) {
    // The budgets' clock stands still: the waits they answer are exact.
    const frozen = Date.now();
    const t = await startAuthTestServer(budgets.storage, { loginThrottle, now: () => frozen });
    const second = await serveAuthDomain(t.auth, quietLogger, '::1');
    return { t, second, stop: () => Promise.all([t.stop(), second.stop()]) };
  }

  async function outcome(call: Promise<unknown>) {
    const started = performance.now();
    try {
      await call;
      return { code: 'ok' as Code | 'ok', ms: performance.now() - started, err: undefined };
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      return { code: err.code as Code | 'ok', ms: performance.now() - started, err };
    }
  }

  it('refuses a flood of wrong passwords from one address at once, and the right password from another still works', async () => {
    const { t, second, stop } = await startTwoAddresses(
      settings({ perAddress: { capacity: 5, refillEveryMs: 60_000 } }),
    );
    try {
      const flood: Awaited<ReturnType<typeof outcome>>[] = [];
      for (let i = 0; i < 15; i++) flood.push(await outcome(t.client.login(wrong)));
      expect(flood.slice(0, 5).map((o) => o.code)).toEqual(Array(5).fill(Code.Unauthenticated));
      const refused = flood.slice(5);
      expect(refused.map((o) => o.code)).toEqual(Array(10).fill(Code.ResourceExhausted));
      const first = refused[0]!.err!;
      expect(errorInfo(first).code).toBe('LOGIN_RATE_LIMITED');
      expect(errorInfo(first).retryAfterMs).toBe(60_000);
      expect(first.rawMessage).toBe('too many failed logins from your address; try again in 60 s');
      // Refused before any argon2 work: much faster than a checked wrong password.
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      expect(median(refused.map((o) => o.ms))).toBeLessThan(
        median(flood.slice(0, 5).map((o) => o.ms)),
      );

      // Even the right password from the flooded address waits its turn...
      expect((await outcome(t.client.login(demo))).code).toBe(Code.ResourceExhausted);
      // ...but from another address it is let in at once.
      await expect(second.client.login(demo, { timeoutMs: 2_000 })).resolves.toMatchObject({
        accessToken: expect.any(String),
      });
    } finally {
      await stop();
    }
  });

  it('never lets an attacker lock the owner out: the account budget only limits new addresses', async () => {
    const { t, second, stop } = await startTwoAddresses(
      settings({ perAccount: { capacity: 3, refillEveryMs: 60_000 } }),
    );
    try {
      // The owner has logged in from ::1 before.
      await second.client.login(demo);
      for (let i = 0; i < 3; i++)
        expect((await outcome(t.client.login(wrong))).code).toBe(Code.Unauthenticated);
      const locked = await outcome(t.client.login(wrong));
      expect(locked.code).toBe(Code.ResourceExhausted);
      expect(locked.err!.rawMessage).toBe(
        'too many failed logins for this account from new addresses; try again in 60 s',
      );
      // The right password is answered well within a short deadline, however
      // many guesses came before (the old back-off held it for seconds).
      for (let i = 0; i < 3; i++) {
        const owner = await outcome(second.client.login(demo, { timeoutMs: 1_500 }));
        expect(owner.code).toBe('ok');
        expect(owner.ms).toBeLessThan(1_500);
      }
      // At a new address it is refused at once, with the wait, never held to the deadline.
      const fresh = await outcome(t.client.login(demo, { timeoutMs: 5_000 }));
      expect(fresh.code).toBe(Code.ResourceExhausted);
      expect(fresh.ms).toBeLessThan(1_000);
    } finally {
      await stop();
    }
  });

  it('holds the global budget across accounts and addresses', async () => {
    const { t, second, stop } = await startTwoAddresses(
      settings({ global: { capacity: 4, refillEveryMs: 60_000 } }),
    );
    try {
      await second.client.login(demo);
      const codes: (Code | 'ok')[] = [];
      for (let i = 0; i < 6; i++) {
        const client = i % 2 ? second.client : t.client;
        codes.push(
          (
            await outcome(
              client.login({ email: `nobody${i}@example.com`, password: 'guess-guess' }),
            )
          ).code,
        );
      }
      expect(codes).toEqual([
        ...Array(4).fill(Code.Unauthenticated),
        Code.ResourceExhausted,
        Code.ResourceExhausted,
      ]);
      // The owner at a known address is still served.
      await expect(second.client.login(demo)).resolves.toBeDefined();
    } finally {
      await stop();
    }
  });
});

describe('Register budgets over gRPC', () => {
  const database = createAuthTestDatabase();
  let storage: Storage<AuthDatabase>;
  let t: AuthTestServer;
  let second: Awaited<ReturnType<typeof serveAuthDomain>>;

  beforeAll(async () => {
    storage = await database.open();
    const frozen = Date.now();
    t = await startAuthTestServer(storage, {
      now: () => frozen,
      registerThrottle: {
        perAddress: { capacity: 3, refillEveryMs: 60_000 },
        global: { capacity: 5, refillEveryMs: 60_000 },
      },
    });
    second = await serveAuthDomain(t.auth, quietLogger, '::1');
  });
  afterAll(async () => {
    await second?.stop();
    await t?.stop();
    await database.close();
  });

  const register = (client: AuthTestServer['client'], i: number) =>
    client
      .register({ email: `flood${i}@example.com`, password: 'register-flood', displayName: 'F' })
      .then(
        () => 'ok',
        (err: ConnectError) => `${Code[err.code]} ${errorInfo(err).code ?? ''}`,
      );

  it('limits a flood of registrations per address and in total, and stores none of the refused', async () => {
    const fromFirst: string[] = [];
    for (let i = 0; i < 5; i++) fromFirst.push(await register(t.client, i));
    expect(fromFirst).toEqual([
      'ok',
      'ok',
      'ok',
      'ResourceExhausted REGISTER_RATE_LIMITED',
      'ResourceExhausted REGISTER_RATE_LIMITED',
    ]);
    // Another address has its own budget, until the total runs out.
    const fromSecond: string[] = [];
    for (let i = 5; i < 8; i++) fromSecond.push(await register(second.client, i));
    expect(fromSecond).toEqual(['ok', 'ok', 'ResourceExhausted REGISTER_RATE_LIMITED']);
    const stored = await storage.db
      .selectFrom('users')
      .select('email')
      .where('email', 'like', 'flood%')
      .execute();
    expect(stored).toHaveLength(5);
    // Invalid input is answered as such and costs nothing.
    const invalid = await t.client
      .register({ email: 'bad', password: 'x', displayName: '' })
      .catch((err: ConnectError) => err);
    expect((invalid as ConnectError).code).toBe(Code.InvalidArgument);
  });
});

describe('Register budgets behind a trusted proxy', () => {
  const database = createAuthTestDatabase();
  let storage: Storage<AuthDatabase>;
  let t: AuthTestServer;
  let untrusted: Awaited<ReturnType<typeof serveAuthDomain>>;

  beforeAll(async () => {
    storage = await database.open();
    const frozen = Date.now();
    // 127.0.0.1 plays the edge gateway; calls over ::1 come from anyone else.
    t = await startAuthTestServer(storage, {
      now: () => frozen,
      trustedProxies: ['127.0.0.1'],
      registerThrottle: {
        perAddress: { capacity: 2, refillEveryMs: 60_000 },
        global: { capacity: 100, refillEveryMs: 60_000 },
      },
    });
    untrusted = await serveAuthDomain(t.auth, quietLogger, '::1');
  });
  afterAll(async () => {
    await untrusted?.stop();
    await t?.stop();
    await database.close();
  });

  let n = 0;
  const register = (client: AuthTestServer['client'], forwardedFor: string) =>
    client
      .register(
        { email: `proxied${n++}@example.com`, password: 'register-flood', displayName: 'P' },
        { headers: { 'x-forwarded-for': forwardedFor } },
      )
      .then(
        () => 'ok',
        (err: ConnectError) => `${Code[err.code]} ${errorInfo(err).code ?? ''}`,
      );
  const limited = 'ResourceExhausted REGISTER_RATE_LIMITED';

  it('counts the client the proxy names, so one client cannot spend the others’ budget', async () => {
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await register(t.client, '198.51.100.1'));
    expect(first).toEqual(['ok', 'ok', limited]);
    // Another client behind the same proxy still has its whole budget.
    expect(await register(t.client, '198.51.100.2')).toBe('ok');
    expect(await register(t.client, '198.51.100.2')).toBe('ok');
  });

  it('ignores the header from a peer it does not trust', async () => {
    const claims = [];
    // A fresh claimed address each time would be a fresh budget if it were believed.
    for (let i = 0; i < 3; i++) claims.push(await register(untrusted.client, `203.0.113.${i}`));
    expect(claims).toEqual(['ok', 'ok', limited]);
  });
});
