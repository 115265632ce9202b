import { grpcurl } from './grpcurl';
import { readmeWalkthrough, runWalkthrough } from './readme-walkthrough';
import { startStack, type RunningStack } from './stack';

const services = [
  { port: 50051, service: 'switchboard.auth.v1.AuthService' },
  { port: 50052, service: 'switchboard.inventory.v1.InventoryService' },
  { port: 50053, service: 'switchboard.order.v1.OrderService' },
  { port: 50054, service: 'switchboard.post.v1.PostService' },
  { port: 50055, service: 'switchboard.notification.v1.NotificationService' },
  { port: 50056, service: 'switchboard.reporting.v1.ReportingService' },
  { port: 50057, service: 'switchboard.subscription.v1.SubscriptionService' },
];

describe('npm start, as a user runs it', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startStack(240_000);
  });

  afterAll(async () => {
    // Only if a test failed before the interrupt test ran.
    if (stack && stack.leftovers().length > 0) await stack.interrupt();
  });

  it.each(services)('port $port lists $service, health and reflection', ({ port, service }) => {
    const list = grpcurl(['-plaintext', `127.0.0.1:${port}`, 'list']);
    expect(list.stderr).toBe('');
    const names = list.stdout.trim().split('\n');
    expect(names).toEqual(
      expect.arrayContaining([
        service,
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
      ]),
    );
  });

  it.each(services)('port $port is SERVING', ({ port }) => {
    const check = grpcurl([
      '-plaintext',
      '-d',
      '{}',
      `127.0.0.1:${port}`,
      'grpc.health.v1.Health/Check',
    ]);
    expect(check.stderr).toBe('');
    expect(JSON.parse(check.stdout)).toEqual({ status: 'SERVING' });
  });

  it.each(services)('port $port describes $service without .proto files', ({ port, service }) => {
    const described = grpcurl(['-plaintext', `127.0.0.1:${port}`, 'describe', service]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(`${service} is a service`);
  });

  it("runs the README's synchronous walkthrough as written", () => {
    const output = runWalkthrough(readmeWalkthrough('sync'));
    const documents = splitJson(output);
    // Register, ListProducts, CheckAvailability, PlaceOrder, GetOrder, ListOrders, CancelOrder.
    expect(documents).toHaveLength(7);
    const [registered, listed, checked, placed, got, mine, cancelled] = documents as [
      Json,
      Json,
      Json,
      Json,
      Json,
      Json,
      Json,
    ];
    expect(registered.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(listed.products).toHaveLength(3);
    expect(checked.available).toBe(true);
    const order = placed.order as Json;
    expect(order.status).toBe('ORDER_STATUS_PLACED');
    // 2 × 12.90 + 1 × 24.90 EUR, in cents, from the seeded catalog.
    expect(order.total).toEqual({ currencyCode: 'EUR', amountMinor: '5070' });
    expect((got.order as Json).orderId).toBe(order.orderId);
    expect((mine.orders as Json[]).map((o) => o.orderId)).toContain(order.orderId);
    expect((cancelled.order as Json).status).toBe('ORDER_STATUS_CANCELLED');
  });

  it("runs the README's asynchronous walkthrough as written", () => {
    const output = runWalkthrough(readmeWalkthrough('async'));
    // The watcher saw Alan's post live, and the list showed it too.
    const notified = output.match(/"preview": "Pulled my first V60 today\."/g) ?? [];
    expect(notified.length).toBeGreaterThanOrEqual(2);
    // The watcher waited for its subscription's headers, not for a second to pass.
    expect(output).toContain('Response headers received');
    // Two orders of 2 × 14.90 and 2 × 39.90 EUR, by the demo customer, with product names.
    // The report starts when the walkthrough places them, so orders of the other
    // walkthroughs, run before or after this one, never count here.
    expect(output).toContain('"orderCount": "2"');
    expect(output).toContain('"amountMinor": "10960"');
    expect(output).toContain('"name": "AeroPress Original"');
    expect(output).toContain('"displayName": "Demo Customer"');
    // The tail decoded OrderPlaced payloads; the poison message reached the DLQ.
    expect(output).toMatch(/"type":"switchboard\.order\.v1\.OrderPlaced","payload":\{"orderId"/);
    expect(output).toMatch(/"key":"poison".*"dlq_original_topic":"social\.posts\.v1"/);
    expect(output).toMatch(/"group":"notification-service","total":0/);
  });

  it("runs the README's HTTP walkthrough with curl as written", () => {
    const output = runWalkthrough(readmeWalkthrough('http'));
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    const json = lines
      .filter((l) => l.startsWith('{') && l.endsWith('}'))
      .map((l) => JSON.parse(l) as Json);
    const [health, registered] = json as [Json, Json];
    expect(health.status).toBe('SERVING');
    expect(registered.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.filter((j) => typeof j.availableQuantity === 'number')).toHaveLength(3);
    expect(json.find((j) => (j.product as Json | undefined)?.sku === 'COF-ETH-250')).toBeDefined();
    // The second PlaceOrder with the same key, the read and the cancel: one order id.
    const orders = json.filter((j) => typeof j.orderId === 'string' && j.status !== undefined);
    expect(orders.map((o) => o.status)).toEqual([
      'ORDER_STATUS_PLACED',
      'ORDER_STATUS_PLACED',
      'ORDER_STATUS_CANCELLED',
    ]);
    expect(new Set(orders.map((o) => o.orderId)).size).toBe(1);
    expect(output).toMatch(/"code":"ORDER_NOT_FOUND".* HTTP 404/);
    expect(output).toMatch(/"status":"UNAUTHENTICATED".* HTTP 401/);
    // The post, and the same post pushed to the follower over Server-Sent Events.
    const post = json.find((j) => j.text === 'Hello from the edge');
    expect(post?.postId).toMatch(/^[0-9a-f-]{36}$/);
    const event = lines.find((l) => l.startsWith('data: '));
    const notification = (JSON.parse(event!.slice('data: '.length)) as Json).notification as Json;
    expect(notification).toMatchObject({ postId: post!.postId, preview: 'Hello from the edge' });
  });

  it('stops everything on Ctrl-C and leaves no process behind', async () => {
    const ended = await stack.interrupt();
    // A shell reports npm's death by SIGINT as 130: the usual end of `npm start`.
    expect(ended.code === 0 || ended.signal === 'SIGINT').toBe(true);
    expect(stack.output()).toContain(
      '[switchboard] SIGINT: stopping services, broker and database',
    );
    expect(stack.leftovers()).toEqual([]);
    for (const { port } of services) {
      expect(grpcurl(['-plaintext', '-max-time', '2', `127.0.0.1:${port}`, 'list']).code).not.toBe(
        0,
      );
    }
  });
});

type Json = Record<string, unknown>;

/** grpcurl prints one pretty-printed JSON document per response. */
function splitJson(output: string): Json[] {
  const documents: Json[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < output.length; i++) {
    const c = output[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) {
      documents.push(JSON.parse(output.slice(start, i + 1)) as Json);
    }
  }
  return documents;
}
