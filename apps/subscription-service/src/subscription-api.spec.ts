import { randomUUID } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  CreateSubscriptionRequestSchema,
  DeliveryMode,
  EventFilterSchema,
} from '@switchboard/contracts';
import { errorInfo, failure, startServiceUnderTest } from '@switchboard/testing';
import { MAX_SUBSCRIPTIONS } from './subscription-service-handlers';
import { subscriptionServiceDefinition } from './subscription-service-definition';
import { startRealAuth, type RealAuth } from './testing/real-auth';
import { testQueueUrl } from './testing/test-queue-url';
import { startTestSink, type HandshakeAnswer, type TestSink } from './testing/test-sink';

// SubscriptionService over real gRPC, checking real tokens with the real auth
// service, on a real PostgreSQL database, against real HTTP sinks on loopback.

const PLACED = 'switchboard.order.v1.OrderPlaced';
const ORIGIN = 'switchboard.spec';
const UUID = '00000000-0000-4000-8000-000000000001';

type CreateInit = MessageInitShape<typeof CreateSubscriptionRequestSchema>;
type Service = Awaited<ReturnType<typeof startSubscriptionService>>;

function startSubscriptionService(auth: RealAuth, env: Record<string, string> = {}) {
  return startServiceUnderTest(subscriptionServiceDefinition, {
    env: {
      AUTH_ADDR: auth.address,
      SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true',
      SUBSCRIPTION_ORIGIN: ORIGIN,
      SUBSCRIPTION_HANDSHAKE_TIMEOUT_MS: '1000',
      QUEUE_URL: testQueueUrl(),
      ...env,
    },
  });
}

describe('SubscriptionService API', () => {
  let auth: RealAuth;
  let service: Service;
  let agreeing: TestSink;
  const sinks: TestSink[] = [];

  /** A request for OrderPlaced events to `sinkUrl`, with `init` over it. */
  const request = (sinkUrl: string, init: CreateInit = {}) => {
    const message = create(CreateSubscriptionRequestSchema, init);
    message.sinkUrl = sinkUrl;
    message.filter ??= create(EventFilterSchema, { types: [PLACED] });
    return message;
  };

  beforeAll(async () => {
    auth = await startRealAuth();
    service = await startSubscriptionService(auth);
    agreeing = await startTestSink();
    sinks.push(agreeing);
  }, 120_000);

  afterAll(async () => {
    for (const sink of sinks) await sink.close();
    await service?.stop();
    await auth?.close();
  });

  describe('access', () => {
    it('refuses a customer with PERMISSION_DENIED and no token with UNAUTHENTICATED, on every method', async () => {
      const calls = (options: object) => [
        service.client.createSubscription(request(agreeing.url), options),
        service.client.getSubscription({ subscriptionId: UUID }, options),
        service.client.listSubscriptions({}, options),
        service.client.deleteSubscription({ subscriptionId: UUID }, options),
        service.client.pauseSubscription({ subscriptionId: UUID }, options),
        service.client.resumeSubscription({ subscriptionId: UUID }, options),
        service.client.listDeliveries({}, options),
      ];
      for (const call of calls(auth.customer)) {
        expect((await failure(call)).code).toBe(Code.PermissionDenied);
      }
      for (const call of calls({})) {
        expect((await failure(call)).code).toBe(Code.Unauthenticated);
      }
      // Refused before the handler: the sink was never asked.
      expect(agreeing.handshakes).toHaveLength(0);
    });
  });

  describe('create and read back', () => {
    it('creates after the handshake, returns a 32-byte secret once, and stores it sealed', async () => {
      const created = await service.client.createSubscription(
        request(agreeing.url, {
          mode: DeliveryMode.STRUCTURED,
          description: 'big orders',
          filter: {
            types: [PLACED],
            sources: [],
            conditions: [
              {
                field: 'total.amountMinor',
                test: {
                  case: 'range',
                  value: { gte: 1000 },
                },
              },
            ],
          },
        }),
        auth.admin,
      );
      expect(agreeing.handshakes.at(-1)!['webhook-request-origin']).toBe(ORIGIN);
      expect(created.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(created.signingSecret.slice('whsec_'.length), 'base64')).toHaveLength(32);

      const sub = created.subscription!;
      expect(sub).toMatchObject({
        sinkUrl: agreeing.url,
        mode: DeliveryMode.STRUCTURED,
        paused: false,
        description: 'big orders',
      });
      const { subscription } = await service.client.getSubscription(
        { subscriptionId: sub.subscriptionId },
        auth.admin,
      );
      expect(subscription!.filter!.conditions[0]).toMatchObject({
        field: 'total.amountMinor',
        test: { case: 'range', value: { gte: 1000 } },
      });

      const row = await service.running.storage.db
        .selectFrom('subscriptions')
        .select('secret_sealed')
        .where('subscription_id', '=', sub.subscriptionId)
        .executeTakeFirstOrThrow();
      expect(row.secret_sealed).not.toContain(created.signingSecret.slice(6));
      expect(row.secret_sealed.startsWith('v1.')).toBe(true);
    });

    it('pauses, resumes, pages through the list and deletes', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { subscription } = await service.client.createSubscription(
          request(agreeing.url, { description: `page-${i}` }),
          auth.admin,
        );
        ids.push(subscription!.subscriptionId);
      }
      const paused = await service.client.pauseSubscription(
        { subscriptionId: ids[0]! },
        auth.admin,
      );
      expect(paused.subscription!.paused).toBe(true);
      const resumed = await service.client.resumeSubscription(
        { subscriptionId: ids[0]! },
        auth.admin,
      );
      expect(resumed.subscription!.paused).toBe(false);

      const seen: string[] = [];
      let pageToken = '';
      do {
        const page = await service.client.listSubscriptions({ pageSize: 2, pageToken }, auth.admin);
        expect(page.subscriptions.length).toBeLessThanOrEqual(2);
        seen.push(...page.subscriptions.map((s) => s.subscriptionId));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      expect(seen).toEqual(expect.arrayContaining(ids));
      expect(new Set(seen).size).toBe(seen.length);
      // Newest first.
      expect(seen.indexOf(ids[2]!)).toBeLessThan(seen.indexOf(ids[0]!));

      await service.client.deleteSubscription({ subscriptionId: ids[1]! }, auth.admin);
      const gone = await failure(
        service.client.getSubscription({ subscriptionId: ids[1]! }, auth.admin),
      );
      expect(gone.code).toBe(Code.NotFound);
      expect(errorInfo(gone).code).toBe('SUBSCRIPTION_NOT_FOUND');
      const again = await failure(
        service.client.deleteSubscription({ subscriptionId: ids[1]! }, auth.admin),
      );
      expect(again.code).toBe(Code.NotFound);
      const bad = await failure(
        service.client.listSubscriptions({ pageToken: 'not-a-token' }, auth.admin),
      );
      expect(bad.code).toBe(Code.InvalidArgument);
    });
  });

  describe('validation', () => {
    const refused = async (init: CreateInit) => {
      const err = await failure(service.client.createSubscription(init, auth.admin));
      expect(err.code).toBe(Code.InvalidArgument);
      return errorInfo(err).violations!.map((v) => `${v.field}: ${v.description}`);
    };
    const filterOf = (init: object) => ({
      types: [],
      sources: [],
      conditions: [],
      ...init,
    });

    it('refuses empty, malformed and oversized filters with every problem named', async () => {
      expect(await refused(request(agreeing.url, { filter: filterOf({}) }))).toEqual([
        'filter: is empty: give at least one type, source or condition',
      ]);
      expect(
        await refused(
          request(agreeing.url, {
            filter: filterOf({
              types: ['switchboard.nope.v1.Nothing'],
              conditions: [
                { field: 'total..amountMinor', test: { case: 'exists', value: true } },
                {
                  field: 'total.amountMinor',
                  test: { case: 'range', value: { gte: 10, lte: 1 } },
                },
              ],
            }),
          }),
        ),
      ).toEqual([
        'filter.types[0]: "switchboard.nope.v1.Nothing" is not an event type of this system',
        'filter.conditions[0].field: "total..amountMinor" is not a dotted path of names or indexes (e.g. total.amountMinor)',
        'filter.conditions[1].range: lower bound 10 is above upper bound 1',
      ]);
      const sources = Array.from({ length: 50 }, (_, i) => `//switchboard/${'s'.repeat(180)}-${i}`);
      const [oversized] = await refused(
        request(agreeing.url, { filter: filterOf({ types: [PLACED], sources }) }),
      );
      expect(oversized).toMatch(/^filter: is \d+ bytes as JSON, more than the 8192/);
      // The contract's own rules run first: 51 types is over its limit.
      const many = Array.from({ length: 51 }, () => PLACED);
      expect(
        (await refused(request(agreeing.url, { filter: filterOf({ types: many }) })))[0],
      ).toMatch(/^filter.types/);
      expect(agreeing.handshakes.filter((h) => h['webhook-request-origin'] !== ORIGIN)).toEqual([]);
    });

    it('refuses a malformed id or page size as the contract says', async () => {
      const err = await failure(
        service.client.getSubscription({ subscriptionId: 'x' }, auth.admin),
      );
      expect(err.code).toBe(Code.InvalidArgument);
      const size = await failure(service.client.listDeliveries({ pageSize: 500 }, auth.admin));
      expect(size.code).toBe(Code.InvalidArgument);
    });
  });

  describe('SSRF protection', () => {
    it('refuses metadata, link-local, unspecified and non-http sinks, without asking them', async () => {
      const cases: [string, RegExp][] = [
        ['http://169.254.169.254/latest/meta-data', /cloud metadata/],
        ['http://[fd00:ec2::254]/', /cloud metadata/],
        ['http://[::ffff:a9fe:a9fe]/', /cloud metadata/],
        ['http://169.254.7.7/hook', /link-local/],
        ['http://[fe80::1]/hook', /link-local/],
        ['http://0.0.0.0:9/hook', /unspecified/],
        ['ftp://example.com/hook', /must be http or https/],
        ['http://user:pw@127.0.0.1/hook', /user name or password/],
      ];
      for (const [url, why] of cases) {
        const [violation] = await refused(url);
        expect(violation).toMatch(why);
      }
      async function refused(sinkUrl: string) {
        const err = await failure(service.client.createSubscription(request(sinkUrl), auth.admin));
        expect(err.code).toBe(Code.InvalidArgument);
        return errorInfo(err).violations!.map((v) => `${v.field}: ${v.description}`);
      }
    });

    it('refuses a loopback sink unless SUBSCRIPTION_ALLOW_LOOPBACK_SINKS is on', async () => {
      const strict = await startSubscriptionService(auth, {
        SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'false',
      });
      try {
        const before = agreeing.handshakes.length;
        const err = await failure(
          strict.client.createSubscription(request(agreeing.url), auth.admin),
        );
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.rawMessage).toMatch(/127\.0\.0\.1, a loopback address/);
        expect(agreeing.handshakes).toHaveLength(before);
      } finally {
        await strict.stop();
      }
    });
  });

  describe('the CloudEvents Web Hooks handshake', () => {
    it('accepts a sink that allows any origin', async () => {
      const any = await startTestSink({ handshake: { kind: 'agree-any' } });
      sinks.push(any);
      const created = await service.client.createSubscription(request(any.url), auth.admin);
      expect(created.subscription!.sinkUrl).toBe(any.url);
    });

    it('refuses with FAILED_PRECONDITION a sink that says no, names another origin, or never answers', async () => {
      const cases: [HandshakeAnswer, RegExp][] = [
        [{ kind: 'status', status: 403 }, /OPTIONS answered 403, not 200/],
        [{ kind: 'status', status: 404 }, /OPTIONS answered 404, not 200/],
        [
          { kind: 'other-origin', origin: 'someone.else' },
          /"someone.else", not "switchboard.spec"/,
        ],
        [{ kind: 'hang' }, /no answer within 1000 ms/],
      ];
      for (const [answer, why] of cases) {
        const sink = await startTestSink({ handshake: answer });
        sinks.push(sink);
        const err = await failure(service.client.createSubscription(request(sink.url), auth.admin));
        expect(err.code).toBe(Code.FailedPrecondition);
        expect(err.rawMessage).toMatch(/did not agree to the CloudEvents Web Hooks handshake/);
        expect(err.rawMessage).toMatch(why);
        expect(errorInfo(err).code).toBe('SINK_HANDSHAKE_REFUSED');
        expect(sink.handshakes).toHaveLength(1);
      }
      // Nothing was stored for any of them.
      const stored = new Set(
        (
          await service.running.storage.db.selectFrom('subscriptions').select('sink_url').execute()
        ).map((r) => r.sink_url),
      );
      for (const refusedSink of sinks.slice(-4)) expect(stored.has(refusedSink.url)).toBe(false);
    });
  });

  describe('size of the whole', () => {
    it(`refuses a subscription beyond ${MAX_SUBSCRIPTIONS} live ones with RESOURCE_EXHAUSTED`, async () => {
      const db = service.running.storage.db;
      const { n } = await db
        .selectFrom('subscriptions')
        .select((eb) => eb.fn.countAll<bigint>().as('n'))
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow();
      // Filled straight in the table: a thousand handshakes would prove nothing more.
      const filler = Array.from({ length: MAX_SUBSCRIPTIONS - Number(n) }, () => ({
        subscription_id: randomUUID(),
        sink_url: 'https://example.com/hook',
        filter: JSON.stringify({ types: [PLACED] }),
        mode: 'binary' as const,
        description: 'filler',
        secret_sealed: 'sealed',
      }));
      await db.insertInto('subscriptions').values(filler).execute();
      try {
        const err = await failure(
          service.client.createSubscription(request(agreeing.url), auth.admin),
        );
        expect(err.code).toBe(Code.ResourceExhausted);
        expect(errorInfo(err).code).toBe('TOO_MANY_SUBSCRIPTIONS');

        await service.client.deleteSubscription(
          { subscriptionId: filler[0]!.subscription_id },
          auth.admin,
        );
        const created = await service.client.createSubscription(request(agreeing.url), auth.admin);
        expect(created.subscription!.subscriptionId).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        await db
          .updateTable('subscriptions')
          .set({ deleted_at: new Date() })
          .where('description', '=', 'filler')
          .execute();
      }
    });
  });
});
