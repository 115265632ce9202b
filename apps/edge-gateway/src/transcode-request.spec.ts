import { create } from '@bufbuild/protobuf';
import {
  AuthService,
  InventoryService,
  NotificationService,
  OrderService,
  PostService,
} from '@switchboard/contracts';
import { createRouteTable, type RouteMatch } from './http-routes';
import { BadRequestError, transcodeRequest } from './transcode-request';

const table = createRouteTable([
  ...AuthService.methods,
  ...InventoryService.methods,
  ...OrderService.methods,
  ...PostService.methods,
  ...NotificationService.methods,
]);

function route(httpMethod: string, path: string): RouteMatch {
  const found = table.match(httpMethod, path);
  if (!('route' in found)) throw new Error(`no route for ${httpMethod} ${path}`);
  return found;
}

function transcode(httpMethod: string, url: string, body?: unknown) {
  const parsed = new URL(url, 'http://edge');
  const match = route(httpMethod, parsed.pathname);
  return transcodeRequest(match.route.method.input, match, {
    body: body as never,
    query: parsed.searchParams,
  });
}

describe('the routes read from the google.api.http annotations', () => {
  it('finds each method by HTTP method and path', () => {
    expect(route('POST', '/v1/auth:login').route.method.name).toBe('Login');
    expect(route('GET', '/v1/products').route.method.name).toBe('ListProducts');
    expect(route('GET', '/v1/products/X').route.method.name).toBe('GetProduct');
    expect(route('POST', '/v1/orders/o:cancel').route.method.name).toBe('CancelOrder');
    expect(route('GET', '/v1/notifications:watch').route.method.name).toBe('WatchNotifications');
  });

  it('tells a wrong method (with the allowed ones) from an unknown path', () => {
    expect(table.match('DELETE', '/v1/orders')).toEqual({ allowed: ['GET', 'POST'] });
    expect(table.match('GET', '/v2/orders')).toEqual({ notFound: true });
  });

  it('has no route for a method without an annotation (the internal ones)', () => {
    const names = table.routes.map((r) => r.method.name);
    expect(names).not.toContain('VerifyToken');
    expect(names).not.toContain('ReserveStock');
  });
});

describe('request mapping (google/api/http.proto rules)', () => {
  it('body "*": the whole message from the JSON body, by JSON or proto field names', () => {
    const request = transcode('POST', '/v1/orders', { items: [{ sku: 'A', quantity: 2 }] });
    expect(request).toEqual(
      create(OrderService.method.placeOrder.input, { items: [{ sku: 'A', quantity: 2 }] }),
    );
    const register = transcode('POST', '/v1/auth:register', {
      email: 'a@b.c',
      password: 'p',
      display_name: 'Ada',
    });
    expect(register).toMatchObject({ email: 'a@b.c', displayName: 'Ada' });
  });

  it('path variables fill their fields; a body may repeat them only with the same value', () => {
    expect(transcode('POST', '/v1/orders/o-1:cancel')).toMatchObject({ orderId: 'o-1' });
    expect(transcode('POST', '/v1/orders/o-1:cancel', { order_id: 'o-1' })).toMatchObject({
      orderId: 'o-1',
    });
    expect(() => transcode('POST', '/v1/orders/o-1:cancel', { orderId: 'o-2' })).toThrow(
      BadRequestError,
    );
  });

  it('no body: the remaining fields come from the query string, typed by the field', () => {
    expect(transcode('GET', '/v1/products?page_size=20&pageToken=t')).toMatchObject({
      pageSize: 20,
      pageToken: 't',
    });
    expect(transcode('GET', '/v1/notifications?unread_only=true')).toMatchObject({
      unreadOnly: true,
    });
    expect(transcode('GET', '/v1/users/u1/posts?page_size=5')).toMatchObject({
      authorId: 'u1',
      pageSize: 5,
    });
  });

  it('refuses what does not fit, naming the field', () => {
    const refusals: [string, string, unknown?][] = [
      ['GET', '/v1/products?color=red'],
      ['GET', '/v1/products?page_size=many'],
      ['GET', '/v1/products?page_size=1&page_size=2'],
      ['GET', '/v1/notifications?unread_only=yes'],
      ['GET', '/v1/users/u1/posts?author_id=u2'],
      ['POST', '/v1/orders', { items: [{ sku: 'A', quantity: 'two' }] }],
      ['POST', '/v1/orders', { items: [], admin: true }],
      ['POST', '/v1/orders', [1, 2]],
      ['POST', '/v1/orders?items=1', { items: [] }],
      ['GET', '/v1/products?page_size=99999999999'],
    ];
    for (const [method, url, body] of refusals) {
      expect(() => transcode(method, url, body)).toThrow(BadRequestError);
    }
  });

  it('collects a repeated field from repeated query parameters', () => {
    // No public route binds a repeated scalar from the query today; MarkRead takes a body.
    const match = route('POST', '/v1/notifications:markRead');
    const request = transcodeRequest(
      match.route.method.input,
      { route: { ...match.route, body: '' }, bindings: new Map() },
      { body: undefined, query: new URLSearchParams('notification_ids=a&notification_ids=b') },
    );
    expect(request).toMatchObject({ notificationIds: ['a', 'b'] });
  });
});
