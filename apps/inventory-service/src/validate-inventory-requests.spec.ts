import { create } from '@bufbuild/protobuf';
import {
  CreateProductRequestSchema,
  ListProductsRequestSchema,
  StockItemSchema,
  UpdateProductRequestSchema,
} from '@switchboard/contracts';
import { isDomainError } from '@switchboard/errors';
import { encodePageToken, decodePageToken } from './page-token';
import {
  toNewProduct,
  validateListProducts,
  validateStockItems,
  validateUpdateProduct,
} from './validate-inventory-requests';

/** The violated fields, or [] when the validator accepted the input. */
function violations(fn: () => unknown): string[] {
  try {
    fn();
    return [];
  } catch (err) {
    if (!isDomainError(err)) throw err;
    expect(err.code).toBe('INVALID_ARGUMENT');
    return err.violations.map((v) => `${v.field}: ${v.description}`);
  }
}

// The field rules (sku format, name length, price, quantities) are the
// contract's: libs/rpc/src/contract-rules.spec.ts checks them over a socket.

describe('toNewProduct', () => {
  it('trims the name and keeps zero stock and a zero price', () => {
    const product = toNewProduct(
      create(CreateProductRequestSchema, {
        sku: 'BRW-AERO',
        name: '  AeroPress Original ',
        unitPrice: { currencyCode: 'EUR', amountMinor: 0n },
        initialQuantity: 0,
      }),
    );
    expect(product).toEqual({
      sku: 'BRW-AERO',
      name: 'AeroPress Original',
      price: { currencyCode: 'EUR', amountMinor: 0n },
      initialQuantity: 0,
    });
  });
});

describe('validateUpdateProduct', () => {
  it('keeps unset fields unset', () => {
    expect(
      validateUpdateProduct(create(UpdateProductRequestSchema, { sku: 'AB', name: 'New' })),
    ).toEqual({
      sku: 'AB',
      name: 'New',
    });
  });
  it('refuses a change that changes nothing', () => {
    expect(
      violations(() => validateUpdateProduct(create(UpdateProductRequestSchema, { sku: 'AB' }))),
    ).toEqual(['name: name or unit_price must be set: there is nothing to update']);
  });
});

describe('validateStockItems', () => {
  it('refuses a sku listed twice, naming the later line', () => {
    const item = (sku: string) => create(StockItemSchema, { sku, quantity: 1 });
    expect(violations(() => validateStockItems([item('A1'), item('B2'), item('A1')]))).toEqual([
      'items[2].sku: duplicates A1: list each sku once with the total quantity',
    ]);
    expect(validateStockItems([item('A1'), item('B2')])).toEqual([
      { sku: 'A1', quantity: 1 },
      { sku: 'B2', quantity: 1 },
    ]);
  });
});

describe('validateListProducts and page tokens', () => {
  it('maps page_size 0 to 20 and decodes a token', () => {
    expect(validateListProducts(create(ListProductsRequestSchema, {}))).toEqual({
      pageSize: 20,
      afterSku: undefined,
    });
    const token = encodePageToken('COF-ETH-250');
    expect(
      validateListProducts(create(ListProductsRequestSchema, { pageSize: 100, pageToken: token })),
    ).toEqual({
      pageSize: 100,
      afterSku: 'COF-ETH-250',
    });
  });

  it('round-trips a sku and refuses anything it did not issue', () => {
    expect(decodePageToken(encodePageToken('Z-9'))).toBe('Z-9');
    expect(encodePageToken('Z-9')).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const bad of ['', '!!', 'WjktOQ==', 'WjktOR'])
      expect(decodePageToken(bad)).toBeUndefined();
  });
});
