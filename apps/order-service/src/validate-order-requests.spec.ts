import { create } from '@bufbuild/protobuf';
import { ListOrdersRequestSchema, OrderItemSchema } from '@switchboard/contracts';
import { violationsOf } from '@switchboard/testing';
import { decodePageToken, encodePageToken } from './page-token';
import {
  normaliseOrderId,
  requestHash,
  validateIdempotencyKey,
  validateListOrders,
  validatePlaceOrder,
} from './validate-order-requests';

const item = (sku: string, quantity: number) => create(OrderItemSchema, { sku, quantity });

// The field rules (line counts, quantities, sku and id formats, page sizes)
// are the contract's: libs/rpc/src/contract-rules.spec.ts checks them over a socket.

describe('validatePlaceOrder', () => {
  it('passes well-formed items through in order', () => {
    expect(validatePlaceOrder([item('B-2', 1_000), item('A1', 1)])).toEqual([
      { sku: 'B-2', quantity: 1_000 },
      { sku: 'A1', quantity: 1 },
    ]);
  });

  it('refuses a sku listed twice, naming each later line', () => {
    expect(
      violationsOf(() =>
        validatePlaceOrder([item('A1', 1), item('B2', 1), item('A1', 5), item('A1', 2)]),
      ).map((v) => v.field),
    ).toEqual(['items[2].sku', 'items[3].sku']);
  });
});

describe('validateIdempotencyKey', () => {
  it('accepts 1-128 characters of the allowed alphabet, or no key', () => {
    expect(validateIdempotencyKey(undefined)).toBeUndefined();
    expect(validateIdempotencyKey('a')).toBe('a');
    expect(validateIdempotencyKey('Az09_-.:'.padEnd(128, 'x'))).toHaveLength(128);
  });

  it.each(['', ' ', 'x'.repeat(129), 'a/b', 'ä'])('refuses %j', (key) => {
    expect(violationsOf(() => validateIdempotencyKey(key))[0]?.field).toBe('idempotency-key');
  });
});

describe('requestHash', () => {
  it('is the same for the same lines in any order, and differs for any other change', () => {
    const base = requestHash([
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 2 },
    ]);
    expect(
      requestHash([
        { sku: 'B', quantity: 2 },
        { sku: 'A', quantity: 1 },
      ]),
    ).toBe(base);
    expect(requestHash([{ sku: 'A', quantity: 1 }])).not.toBe(base);
    expect(
      requestHash([
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 3 },
      ]),
    ).not.toBe(base);
  });
});

describe('normaliseOrderId', () => {
  it('lower-cases a UUID, so either case names the same order', () => {
    expect(normaliseOrderId('0A1B2C3D-0000-4000-8000-00000000000F')).toBe(
      '0a1b2c3d-0000-4000-8000-00000000000f',
    );
  });
});

describe('validateListOrders and page tokens', () => {
  const page = (pageSize: number, pageToken = '') =>
    validateListOrders(create(ListOrdersRequestSchema, { pageSize, pageToken }));

  it('defaults the page size and reads back the tokens it issues', () => {
    expect(page(0)).toEqual({ pageSize: 20 });
    const cursor = { createdAt: new Date(1_700_000_000_123), orderId: crypto.randomUUID() };
    const token = encodePageToken(cursor);
    expect(decodePageToken(token)).toEqual(cursor);
    expect(page(5, token)).toEqual({ pageSize: 5, after: cursor });
  });

  it('refuses tokens it did not issue', () => {
    const valid = encodePageToken({ createdAt: new Date(1), orderId: crypto.randomUUID() });
    for (const token of [
      '!!',
      `${valid}=`,
      `${valid}A`,
      Buffer.from('12.abc').toString('base64url'),
    ]) {
      expect(decodePageToken(token)).toBeUndefined();
      expect(violationsOf(() => page(1, token))[0]?.field).toBe('page_token');
    }
  });
});
