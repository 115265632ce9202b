import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import {
  ConsoleService,
  PostCreatedSchema,
  UserFollowedSchema,
  type InvokeResponse,
} from '@switchboard/contracts';
import { createEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { startOtlpReceiver, type OtlpReceiver } from '@switchboard/otlp-receiver';
import {
  eventually,
  freePort,
  registerTestTelemetry,
  startLocalBroker,
  startServiceProcess,
  type ServiceProcess,
  type TestBroker,
  type TestTelemetry,
} from '@switchboard/testing';
import type { ConsoleTarget } from '../console-target';
import {
  createExplorerMethods,
  OMITTED_TARGET_HEADER,
  type ExplorerMethods,
} from './create-explorer-methods';

jest.setTimeout(120_000);

const ADMIN = {
  email: 'explorer-spec-admin@example.com',
  password: 'explorer-spec-admin-password',
};

/**
 * The explorer against real services: auth, inventory and notification as
 * real processes (on PostgreSQL and a Kafka broker of this file's own: the
 * notification service joins its production group and reads social.posts.v1
 * from the beginning, and on the run's shared broker it would first work
 * through every other test's posts), exporting their spans over
 * OTLP/HTTP to a real receiver, and the explorer's methods served over a real
 * socket with the Connect protocol, as the console serves them. The
 * console's own spans go to this process's in-memory SDK.
 */
describe('the API explorer', () => {
  let telemetry: TestTelemetry;
  let broker: TestBroker;
  let receiver: OtlpReceiver;
  let auth: ServiceProcess;
  let inventory: ServiceProcess;
  let notification: ServiceProcess;
  let explorer: ExplorerMethods;
  let server: Server;
  let consoleClient: Client<typeof ConsoleService>;
  let down: string;
  let adminToken: string;
  let customer: { userId: string; token: string };
  const sku = `EXPLORER-LAMP-${process.pid}`;

  /** Every response of one Invoke, the final status last. */
  async function invoke(
    service: string,
    method: string,
    request: unknown,
    token = '',
  ): Promise<InvokeResponse[]> {
    const responses: InvokeResponse[] = [];
    const requestJson = typeof request === 'string' ? request : JSON.stringify(request);
    for await (const response of consoleClient.invoke({ service, method, requestJson, token })) {
      responses.push(response);
    }
    return responses;
  }
  const statusOf = (responses: InvokeResponse[]) => {
    const last = responses.at(-1)?.result;
    if (last?.case !== 'status') throw new Error('the last response is not a status');
    return last.value;
  };
  const messagesOf = (responses: InvokeResponse[]) =>
    responses.flatMap((r) =>
      r.result.case === 'messageJson'
        ? [JSON.parse(r.result.value) as Record<string, unknown>]
        : [],
    );
  const failureOf = async (call: Promise<unknown>) => {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof ConnectError))
      throw new Error(`expected a ConnectError, got ${String(err)}`);
    return err;
  };
  const clientSpans = () => telemetry.spans().filter((s) => s.kind === 2 /* CLIENT */);

  beforeAll(async () => {
    telemetry = registerTestTelemetry();
    receiver = await startOtlpReceiver({ port: 0 });
    broker = await startLocalBroker();
    const otel = {
      KAFKA_BROKERS: broker.brokers.join(','),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // Export each batch quickly, so the test waits for spans, not for a timer.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    auth = await startServiceProcess({
      app: 'auth-service',
      env: { ...otel, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    });
    [inventory, notification] = await Promise.all([
      startServiceProcess({ app: 'inventory-service', env: { ...otel, AUTH_ADDR: auth.address } }),
      startServiceProcess({
        app: 'notification-service',
        env: { ...otel, AUTH_ADDR: auth.address },
      }),
    ]);
    // A port freePort just closed: nothing listens there, a service that is down.
    down = `127.0.0.1:${await freePort()}`;
    const targets: ConsoleTarget[] = [
      { id: 'auth-service', kind: 'service', address: auth.address },
      { id: 'inventory-service', kind: 'service', address: inventory.address },
      { id: 'notification-service', kind: 'service', address: notification.address },
      { id: 'order-service', kind: 'service', address: down },
      // The edge serves HTTP, not reflection: skipped, never reported as down.
      { id: 'edge-gateway', kind: 'edge', address: 'http://127.0.0.1:1' },
    ];
    explorer = createExplorerMethods({ targets, callTimeoutMs: 10_000 });
    server = createServer(
      connectNodeAdapter({ routes: (router) => router.service(ConsoleService, explorer) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    consoleClient = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1' }),
    );
  }, 300_000);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    explorer?.close();
    await Promise.all([notification?.stop(), inventory?.stop()]);
    await auth?.stop();
    await broker?.stop();
    await receiver?.close();
    await telemetry?.shutdown();
  }, 60_000);

  describe('ListServices', () => {
    it('lists what each running service describes through reflection, with methods and fields', async () => {
      const { services } = await consoleClient.listServices({});
      const names = services.map((s) => s.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'switchboard.auth.v1.AuthService',
          'switchboard.inventory.v1.InventoryService',
          'switchboard.notification.v1.NotificationService',
        ]),
      );
      // Infrastructure every server carries is not what one explores.
      expect(names.filter((n) => n.startsWith('grpc.'))).toEqual([]);

      const inventoryService = services.find((s) => s.name.endsWith('InventoryService'))!;
      expect(inventoryService).toMatchObject({
        node: 'inventory-service',
        address: inventory.address,
      });
      const getProduct = inventoryService.methods.find((m) => m.name === 'GetProduct')!;
      expect(getProduct).toMatchObject({
        inputType: 'switchboard.inventory.v1.GetProductRequest',
        outputType: 'switchboard.inventory.v1.GetProductResponse',
        clientStreaming: false,
        serverStreaming: false,
      });
      expect(getProduct.inputFields.map((f) => [f.jsonName, f.type])).toEqual([['sku', 'string']]);
      expect(JSON.parse(getProduct.requestTemplate)).toEqual({ sku: '' });

      // A nested message (from another file, common/v1/money.proto) is opened, with its fields.
      const createProduct = inventoryService.methods.find((m) => m.name === 'CreateProduct')!;
      const unitPrice = createProduct.inputFields.find((f) => f.jsonName === 'unitPrice')!;
      expect(unitPrice.type).toBe('switchboard.common.v1.Money');
      expect(unitPrice.fields.map((f) => [f.jsonName, f.type])).toEqual(
        expect.arrayContaining([
          ['currencyCode', 'string'],
          ['amountMinor', 'int64'],
        ]),
      );
      expect(JSON.parse(createProduct.requestTemplate)).toMatchObject({
        unitPrice: { currencyCode: '', amountMinor: '0' },
      });

      const watch = services
        .find((s) => s.name.endsWith('NotificationService'))!
        .methods.find((m) => m.name === 'WatchNotifications')!;
      expect(watch).toMatchObject({ clientStreaming: false, serverStreaming: true });
      const markRead = services
        .find((s) => s.name.endsWith('NotificationService'))!
        .methods.find((m) => m.name === 'MarkRead')!;
      expect(markRead.inputFields).toEqual([
        expect.objectContaining({ jsonName: 'notificationIds', type: 'string', repeated: true }),
      ]);
    });

    it('leaves out a service that is down, says why, and lists the others', async () => {
      let header: Headers | undefined;
      const { services } = await consoleClient.listServices({}, { onHeader: (h) => (header = h) });
      expect(services.some((s) => s.node === 'order-service')).toBe(false);
      expect(services.some((s) => s.node === 'inventory-service')).toBe(true);
      const omitted = header?.get(OMITTED_TARGET_HEADER) ?? '';
      expect(omitted).toContain(`order-service (${down})`);
      expect(omitted).not.toContain('edge-gateway');
    });
  });

  describe('Invoke', () => {
    beforeAll(async () => {
      // Public methods with no token: logging in through the explorer, as the page's helper does.
      const login = await invoke('switchboard.auth.v1.AuthService', 'Login', ADMIN);
      expect(statusOf(login).codeName).toBe('OK');
      adminToken = messagesOf(login)[0]!.accessToken as string;

      const email = `explorer-${randomUUID()}@example.com`;
      const password = 'explorer-spec-password';
      const registered = await invoke('switchboard.auth.v1.AuthService', 'Register', {
        email,
        password,
        displayName: 'Explorer',
      });
      expect(statusOf(registered)).toMatchObject({ codeName: 'OK', message: '' });
      const loggedIn = messagesOf(
        await invoke('switchboard.auth.v1.AuthService', 'Login', { email, password }),
      )[0]!;
      customer = { userId: loggedIn.userId as string, token: loggedIn.accessToken as string };

      const created = await invoke(
        'switchboard.inventory.v1.InventoryService',
        'CreateProduct',
        {
          sku,
          name: 'Explored lamp',
          unitPrice: { currencyCode: 'EUR', amountMinor: '1290' },
          initialQuantity: 4,
        },
        adminToken,
      );
      expect(statusOf(created)).toMatchObject({ code: 0, codeName: 'OK' });
    });

    it("calls a method with the caller's token and answers its JSON, the status, and a trace the service joined", async () => {
      const responses = await invoke(
        'switchboard.inventory.v1.InventoryService',
        'GetProduct',
        { sku },
        customer.token,
      );
      expect(messagesOf(responses)).toEqual([
        {
          product: expect.objectContaining({
            sku,
            name: 'Explored lamp',
            unitPrice: { currencyCode: 'EUR', amountMinor: '1290' },
          }),
        },
      ]);
      expect(statusOf(responses)).toMatchObject({ code: 0, codeName: 'OK', detailsJson: [] });

      const traceId = responses[0]!.traceId;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(responses.every((r) => r.traceId === traceId)).toBe(true);
      // The console's span, in this process's SDK, is the trace's root...
      const root = telemetry
        .spans()
        .find((s) => s.name === 'explorer switchboard.inventory.v1.InventoryService/GetProduct');
      expect(root?.spanContext().traceId).toBe(traceId);
      // ...and the service's server span, exported by its own process, is in the same trace.
      const serverSpan = await eventually(
        async () =>
          receiver.store
            .trace(traceId)
            ?.find(
              (s) =>
                s.service === 'inventory-service' &&
                s.kind === 'server' &&
                s.name === 'switchboard.inventory.v1.InventoryService/GetProduct',
            ),
        15_000,
        "inventory's GetProduct server span in the explorer's trace",
      );
      expect(serverSpan.traceId).toBe(traceId);
    });

    it("ends with the service's failure, its code, message and details as JSON", async () => {
      const responses = await invoke(
        'switchboard.inventory.v1.InventoryService',
        'GetProduct',
        { sku: 'NO-SUCH-LAMP' },
        customer.token,
      );
      expect(messagesOf(responses)).toEqual([]);
      const status = statusOf(responses);
      expect(status).toMatchObject({ code: 5, codeName: 'NOT_FOUND' });
      expect(status.message).toContain('NO-SUCH-LAMP');
      const details = status.detailsJson.map((d) => JSON.parse(d) as Record<string, unknown>);
      expect(details).toContainEqual(
        expect.objectContaining({
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: expect.stringMatching(/^[A-Z_]+$/),
        }),
      );
      expect(responses[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    });

    it('sends no token when none is given: the service answers UNAUTHENTICATED', async () => {
      const status = statusOf(
        await invoke('switchboard.inventory.v1.InventoryService', 'GetProduct', { sku }),
      );
      expect(status).toMatchObject({ code: 16, codeName: 'UNAUTHENTICATED' });
    });

    it('refuses a request that is not the input message as INVALID_ARGUMENT, without calling the service', async () => {
      const before = clientSpans().length;
      const badJson = await failureOf(
        invoke(
          'switchboard.inventory.v1.InventoryService',
          'GetProduct',
          '{"sku": ',
          customer.token,
        ),
      );
      expect(badJson.code).toBe(Code.InvalidArgument);
      expect(badJson.rawMessage).toContain('switchboard.inventory.v1.GetProductRequest');

      const unknownField = await failureOf(
        invoke(
          'switchboard.inventory.v1.InventoryService',
          'GetProduct',
          { sku, colour: 'red' },
          customer.token,
        ),
      );
      expect(unknownField.code).toBe(Code.InvalidArgument);
      expect(unknownField.rawMessage).toContain('colour');
      // No outgoing call was made for either.
      expect(clientSpans().length).toBe(before);
    });

    it('answers NOT_FOUND for a service or method nobody serves', async () => {
      const noService = await failureOf(invoke('switchboard.nothing.v1.NoService', 'Get', {}));
      expect(noService.code).toBe(Code.NotFound);
      expect(noService.rawMessage).toContain('switchboard.nothing.v1.NoService');
      // It may be the service that is down: those are named.
      expect(noService.rawMessage).toContain(`not answering: order-service (${down})`);
      const noMethod = await failureOf(
        invoke('switchboard.inventory.v1.InventoryService', 'StealStock', {}),
      );
      expect(noMethod.code).toBe(Code.NotFound);
      expect(noMethod.rawMessage).toContain('GetProduct');
    });

    it('streams a server-streaming method as messages arrive, and cancels it when the caller goes away', async () => {
      const bus = createEventBus({
        brokers: broker.brokers,
        clientId: 'explorer-spec-publisher',
        source: '/switchboard/post-service',
        logger: createLogger({ service: 'publisher', level: 'silent' }),
      });
      const producer = bus.createProducer();
      const author = randomUUID();
      const post = (text: string) =>
        producer.publish(
          create(PostCreatedSchema, {
            postId: randomUUID(),
            authorId: author,
            text,
            createdAt: timestampFromDate(new Date()),
          }),
        );
      const abort = new AbortController();
      const received: InvokeResponse[] = [];
      let arrived: () => void = () => undefined;
      const stream = (async () => {
        for await (const response of consoleClient.invoke(
          {
            service: 'switchboard.notification.v1.NotificationService',
            method: 'WatchNotifications',
            token: customer.token,
          },
          { signal: abort.signal },
        )) {
          received.push(response);
          arrived();
        }
      })();
      const next = (count: number) =>
        new Promise<void>((resolve) => {
          arrived = () => received.length >= count && resolve();
          arrived();
        });
      try {
        // Keyed by the author, the follow is consumed before the posts.
        await producer.publish(
          create(UserFollowedSchema, {
            followerId: customer.userId,
            followeeId: author,
            followedAt: timestampFromDate(new Date()),
          }),
        );
        await post('first post');
        await next(1);
        expect(messagesOf(received)).toEqual([
          { notification: expect.objectContaining({ actorId: author, preview: 'first post' }) },
        ]);
        await post('second post');
        await next(2);
        expect(
          messagesOf(received).map((m) => (m.notification as { preview: string }).preview),
        ).toEqual(['first post', 'second post']);
        const traceId = received[0]!.traceId;
        expect(traceId).toMatch(/^[0-9a-f]{32}$/);

        abort.abort();
        const end = await failureOf(stream);
        expect(end.code).toBe(Code.Canceled);
        // The service's call ends too: its server span closes, cancelled, in the explorer's trace.
        const serverSpan = await eventually(
          async () =>
            receiver.store
              .trace(traceId)
              ?.find(
                (s) =>
                  s.kind === 'server' &&
                  s.name === 'switchboard.notification.v1.NotificationService/WatchNotifications',
              ),
          15_000,
          "notification's WatchNotifications server span, ended",
        );
        expect(serverSpan.attributes['rpc.grpc.status_code']).toBe(1 /* CANCELLED */);
      } finally {
        abort.abort();
        await stream.catch(() => undefined);
        await bus.close();
      }
    });
  });
});
