// The contracts' buf.validate rules as a caller meets them: over a real
// socket, through the adapter every service uses, before any handler runs.
// The handlers here only count that they were reached, so each case shows
// both the answer and that a refused request never got to the service.
import { Code, ConnectError } from '@connectrpc/connect';
import {
  AuthService,
  InventoryService,
  NotificationService,
  OrderService,
  PostService,
} from '@switchboard/contracts';
import { uniformAccess } from './access-policy';
import { createGrpcJsTransport, type GrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient, type ServiceClient } from './create-service-client';
import { startTestServer, type TestServer } from './start-test-server';

const UUID = '0b7e6c1a-5f0e-4c1e-9d43-3f0a3c1b2d4e';
const SKU_RULE = 'must be 2-32 characters of A-Z, 0-9 and "-", starting with a letter or digit';
const PAGE_SIZE_RULE = 'page_size: must be between 1 and 100, or 0 for the default of 20';
const admin = { headers: { authorization: 'Bearer admin-token' } };
const eur = (amountMinor: bigint) => ({ currencyCode: 'EUR', amountMinor });

describe('contract rules (buf.validate), checked by the server adapter', () => {
  let t: TestServer;
  let transport: GrpcJsTransport;
  let inventory: ServiceClient<typeof InventoryService>;
  let orders: ServiceClient<typeof OrderService>;
  let posts: ServiceClient<typeof PostService>;
  let notifications: ServiceClient<typeof NotificationService>;
  let auth: ServiceClient<typeof AuthService>;
  let reached = 0;
  const reach = async () => {
    reached++;
    return {};
  };

  beforeAll(async () => {
    t = await startTestServer((server) => {
      server.addService(
        InventoryService,
        {
          getProduct: reach,
          createProduct: reach,
          updateProduct: reach,
          adjustStock: reach,
          listProducts: reach,
          reserveStock: reach,
        },
        { access: { ...uniformAccess(InventoryService, 'public'), createProduct: 'admin' } },
      );
      server.addService(
        OrderService,
        { placeOrder: reach, getOrder: reach },
        { access: uniformAccess(OrderService, 'public') },
      );
      server.addService(
        PostService,
        { createPost: reach, listPosts: reach },
        { access: uniformAccess(PostService, 'public') },
      );
      server.addService(
        NotificationService,
        { markRead: reach },
        { access: uniformAccess(NotificationService, 'public') },
      );
      server.addService(
        AuthService,
        { register: reach },
        { access: uniformAccess(AuthService, 'public') },
      );
    });
    transport = createGrpcJsTransport({ address: t.address });
    inventory = createServiceClient(InventoryService, transport);
    orders = createServiceClient(OrderService, transport);
    posts = createServiceClient(PostService, transport);
    notifications = createServiceClient(NotificationService, transport);
    auth = createServiceClient(AuthService, transport);
  });

  afterAll(async () => {
    transport.close();
    await t.server.shutdown();
  });

  /** The INVALID_ARGUMENT message ("field: rule; field: rule"), asserting the handler was not reached. */
  async function refused(call: () => Promise<unknown>): Promise<string> {
    const before = reached;
    const err = await call().then(
      () => {
        throw new Error('expected the call to be refused');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect(reached).toBe(before);
    return (err as ConnectError).rawMessage;
  }

  async function accepted(call: () => Promise<unknown>): Promise<void> {
    const before = reached;
    await call();
    expect(reached).toBe(before + 1);
  }

  describe('inventory', () => {
    it.each(['AB', 'COF-ETH-250', '0-A', 'A'.repeat(32)])('accepts the sku %s', async (sku) => {
      await accepted(() => inventory.getProduct({ sku }));
    });

    it.each(['A', 'cof-eth', '-AB', 'A B', 'A'.repeat(33), 'ÄB'])(
      'refuses the sku %j, saying what a sku is',
      async (sku) => {
        expect(await refused(() => inventory.getProduct({ sku }))).toBe(`sku: ${SKU_RULE}`);
      },
    );

    it('requires a sku', async () => {
      expect(await refused(() => inventory.getProduct({}))).toBe('sku: is required');
    });

    it('names every broken field of a new product in one answer', async () => {
      const message = await refused(() =>
        inventory.createProduct(
          {
            sku: 'lower-case',
            name: ' ',
            unitPrice: { currencyCode: 'eur', amountMinor: -1n },
            initialQuantity: 1_000_001,
          },
          admin,
        ),
      );
      expect(message.split('; ').map((v) => v.split(':')[0])).toEqual([
        'sku',
        'name',
        'unit_price.currency_code',
        'unit_price.amount_minor',
        'initial_quantity',
      ]);
      expect(message).toContain(
        'initial_quantity: must be greater than or equal to 0 and less than or equal to 1000000',
      );
    });

    it('checks access before the rules: no token is UNAUTHENTICATED, not INVALID_ARGUMENT', async () => {
      const err = await inventory.createProduct({ sku: 'bad sku' }).catch((e: unknown) => e);
      expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    });

    const product = { sku: 'BRW-AERO', name: 'AeroPress', unitPrice: eur(3990n) };

    it('counts name characters as code points and refuses control characters', async () => {
      await accepted(() => inventory.createProduct({ ...product, name: '☕'.repeat(120) }, admin));
      expect(
        await refused(() => inventory.createProduct({ ...product, name: '☕'.repeat(121) }, admin)),
      ).toBe('name: must be at most 120 characters');
      expect(
        await refused(() => inventory.createProduct({ ...product, name: 'Tab\there' }, admin)),
      ).toBe('name: must not contain control characters');
    });

    it('requires a price in an ISO 4217 currency, from 0 to 10,000,000.00', async () => {
      await accepted(() => inventory.createProduct({ ...product, unitPrice: eur(0n) }, admin));
      expect(
        await refused(() => inventory.createProduct({ ...product, unitPrice: undefined }, admin)),
      ).toBe('unit_price: is required');
      for (const currencyCode of ['EURO', 'Eur', '']) {
        expect(
          await refused(() =>
            inventory.createProduct(
              { ...product, unitPrice: { currencyCode, amountMinor: 1n } },
              admin,
            ),
          ),
        ).toBe('unit_price.currency_code: must be a 3-letter upper-case ISO 4217 code, e.g. EUR');
      }
      expect(
        await refused(() => inventory.createProduct({ ...product, unitPrice: eur(-5n) }, admin)),
      ).toBe('unit_price.amount_minor: must be greater than or equal to 0');
      expect(
        await refused(() =>
          inventory.createProduct({ ...product, unitPrice: eur(1_000_000_001n) }, admin),
        ),
      ).toBe('unit_price: amount_minor must be at most 1000000000');
    });

    it('bounds the initial quantity to 0..1,000,000', async () => {
      await accepted(() =>
        inventory.createProduct({ ...product, initialQuantity: 1_000_000 }, admin),
      );
      for (const initialQuantity of [-1, 1_000_001]) {
        expect(
          await refused(() => inventory.createProduct({ ...product, initialQuantity }, admin)),
        ).toMatch(/^initial_quantity: /);
      }
    });

    it('checks an update name that is set, even when empty, and leaves "nothing to update" to the service', async () => {
      expect(await refused(() => inventory.updateProduct({ sku: 'AB', name: '' }))).toBe(
        'name: is required (1-120 characters, not only spaces)',
      );
      await accepted(() => inventory.updateProduct({ sku: 'AB' }));
    });

    it('refuses a zero or oversized stock change', async () => {
      expect(await refused(() => inventory.adjustStock({ sku: 'AB', delta: 0 }))).toBe(
        'delta: must not be zero',
      );
      expect(await refused(() => inventory.adjustStock({ sku: 'AB', delta: -1_000_001 }))).toMatch(
        /^delta: must be greater than or equal to -1000000/,
      );
      await accepted(() => inventory.adjustStock({ sku: 'AB', delta: -1_000_000 }));
    });

    it('takes page sizes 0 (the default) to 100', async () => {
      for (const pageSize of [0, 1, 100])
        await accepted(() => inventory.listProducts({ pageSize }));
      for (const pageSize of [-1, 101]) {
        expect(await refused(() => inventory.listProducts({ pageSize }))).toBe(PAGE_SIZE_RULE);
      }
    });

    it('bounds a reservation: its id, 1-100 items of 1-1000, and a customer', async () => {
      const items = [{ sku: 'AB', quantity: 1 }];
      await accepted(() =>
        inventory.reserveStock({ reservationId: 'order:1', items, customerId: UUID }),
      );
      expect(await refused(() => inventory.reserveStock({ customerId: UUID }))).toBe(
        'reservation_id: is required; items: must contain at least 1 item(s)',
      );
      expect(
        await refused(() =>
          inventory.reserveStock({
            reservationId: 'no spaces',
            items,
            customerId: 'x'.repeat(129),
          }),
        ),
      ).toBe(
        'reservation_id: must be 1-128 characters of letters, digits, ".", "_", ":" and "-", starting with a letter or digit; ' +
          'customer_id: must be at most 128 characters',
      );
      const many = Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, quantity: 1 }));
      expect(
        await refused(() =>
          inventory.reserveStock({ reservationId: 'r', items: many, customerId: UUID }),
        ),
      ).toBe('items: must contain no more than 100 item(s)');
      expect(
        await refused(() =>
          inventory.reserveStock({
            reservationId: 'r',
            items: [
              { sku: 'AB', quantity: 0 },
              { sku: 'CD', quantity: 1001 },
            ],
            customerId: UUID,
          }),
        ),
      ).toBe(
        'items[0].quantity: must be greater than or equal to 1 and less than or equal to 1000; ' +
          'items[1].quantity: must be greater than or equal to 1 and less than or equal to 1000',
      );
    });
  });

  describe('orders', () => {
    it('names each broken line', async () => {
      const message = await refused(() =>
        orders.placeOrder({
          items: [
            { sku: 'ok-lower', quantity: 1 },
            { sku: '', quantity: 1 },
            { sku: 'A1', quantity: -1 },
          ],
        }),
      );
      expect(message).toBe(
        `items[0].sku: ${SKU_RULE}; items[1].sku: is required; ` +
          'items[2].quantity: must be greater than or equal to 1 and less than or equal to 1000',
      );
    });

    it('takes 1 to 100 lines', async () => {
      expect(await refused(() => orders.placeOrder({}))).toBe(
        'items: must contain at least 1 item(s)',
      );
      const many = Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, quantity: 1 }));
      expect(await refused(() => orders.placeOrder({ items: many }))).toBe(
        'items: must contain no more than 100 item(s)',
      );
      await accepted(() => orders.placeOrder({ items: many.slice(0, 100) }));
    });

    it('takes an order id that is a UUID, in either case', async () => {
      await accepted(() => orders.getOrder({ orderId: UUID.toUpperCase() }));
      expect(await refused(() => orders.getOrder({}))).toBe('order_id: is required');
      for (const orderId of ['nope', UUID.replaceAll('-', '')]) {
        expect(await refused(() => orders.getOrder({ orderId }))).toBe(
          'order_id: must be a valid UUID',
        );
      }
    });
  });

  describe('posts', () => {
    it('counts text in code points, not counting surrounding whitespace', async () => {
      await accepted(() => posts.createPost({ text: '😀'.repeat(2000) }));
      await accepted(() => posts.createPost({ text: `   ${'a'.repeat(2000)}\r\n  ` }));
      expect(await refused(() => posts.createPost({ text: '😀'.repeat(2001) }))).toBe(
        'text: must be at most 2000 characters, not counting surrounding whitespace',
      );
    });

    it('refuses empty and whitespace-only text', async () => {
      for (const text of ['', '   ', '\n\t\r\n']) {
        expect(await refused(() => posts.createPost({ text }))).toBe(
          'text: is required (1-2000 characters, not only whitespace)',
        );
      }
    });

    it('takes newlines, tabs and Windows line ends, and no other control character', async () => {
      await accepted(() => posts.createPost({ text: 'one\r\ntwo\n\tthree' }));
      for (const text of [
        'a\u0000b',
        'bell\u0007',
        'lone\rreturn',
        'ends\r',
        'esc\u001b[31m',
        'del\u007f',
        'c1\u0085',
      ]) {
        expect(await refused(() => posts.createPost({ text }))).toBe(
          'text: must not contain control characters other than newline and tab',
        );
      }
    });

    it('requires a well-formed author id and a sane page size', async () => {
      expect(await refused(() => posts.listPosts({}))).toBe('author_id: is required');
      expect(await refused(() => posts.listPosts({ authorId: 'alice', pageSize: 101 }))).toBe(
        `author_id: must be a valid UUID; ${PAGE_SIZE_RULE}`,
      );
    });
  });

  describe('notifications', () => {
    it('marks 1 to 500 well-formed ids', async () => {
      await accepted(() => notifications.markRead({ notificationIds: [UUID.toUpperCase()] }));
      expect(await refused(() => notifications.markRead({}))).toBe(
        'notification_ids: must contain at least 1 item(s)',
      );
      expect(await refused(() => notifications.markRead({ notificationIds: [UUID, 'nope'] }))).toBe(
        'notification_ids[1]: must be a valid UUID',
      );
      const tooMany = Array.from({ length: 501 }, () => UUID);
      expect(await refused(() => notifications.markRead({ notificationIds: tooMany }))).toBe(
        'notification_ids: must contain no more than 500 item(s)',
      );
    });
  });

  describe('registration', () => {
    const valid = { email: 'ada@example.com', password: 'long-enough', displayName: 'Ada' };

    it('names every bad field at once', async () => {
      expect(
        await refused(() => auth.register({ email: 'x', password: 'short', displayName: '' })),
      ).toBe(
        'email: must be an email address like name@example.com; ' +
          'password: must be at least 10 characters; ' +
          'display_name: is required',
      );
    });

    it.each([
      ['no at sign', 'ada.example.com'],
      ['a space', 'a da@example.com'],
      ['nothing but spaces', '   '],
    ])('refuses an email with %s', async (_why, email) => {
      expect(await refused(() => auth.register({ ...valid, email }))).toBe(
        'email: must be an email address like name@example.com',
      );
    });

    it('takes an email with surrounding spaces, which the service trims', async () => {
      await accepted(() => auth.register({ ...valid, email: '  Ada@Example.COM ' }));
    });

    it('bounds the email to what SMTP carries', async () => {
      expect(await refused(() => auth.register({ ...valid, email: '' }))).toBe(
        'email: is required',
      );
      const tooLong = `${'a'.repeat(250)}@example.com`;
      expect(await refused(() => auth.register({ ...valid, email: tooLong }))).toBe(
        'email: must be at most 254 characters',
      );
    });

    it('counts password length in characters: 10 to 128', async () => {
      await accepted(() => auth.register({ ...valid, password: '1234567890' }));
      await accepted(() => auth.register({ ...valid, password: '😀'.repeat(128) }));
      expect(await refused(() => auth.register({ ...valid, password: '123456789' }))).toBe(
        'password: must be at least 10 characters',
      );
      expect(await refused(() => auth.register({ ...valid, password: 'x'.repeat(129) }))).toBe(
        'password: must be at most 128 characters',
      );
    });

    it('refuses a blank, overlong or control-character display name', async () => {
      expect(await refused(() => auth.register({ ...valid, displayName: '   ' }))).toBe(
        'display_name: is required (not only spaces)',
      );
      expect(await refused(() => auth.register({ ...valid, displayName: 'n'.repeat(65) }))).toBe(
        'display_name: must be at most 64 characters',
      );
      expect(await refused(() => auth.register({ ...valid, displayName: 'bell\u0007' }))).toBe(
        'display_name: must not contain control characters',
      );
    });
  });
});
