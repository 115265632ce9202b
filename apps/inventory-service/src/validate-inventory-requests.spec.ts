import { create } from '@bufbuild/protobuf';
import {
  CreateProductRequestSchema,
  ListProductsRequestSchema,
  UpdateProductRequestSchema,
} from '@switchboard/contracts';
import { isDomainError } from '@switchboard/errors';
import { encodePageToken, decodePageToken } from './page-token';
import {
  validateCreateProduct,
  validateListProducts,
  validateSku,
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

describe('sku rule', () => {
  it.each(['AB', 'COF-ETH-250', '0-A', 'A'.repeat(32)])('accepts %s', (sku) => {
    expect(violations(() => validateSku(sku))).toEqual([]);
  });
  it.each(['', 'A', 'cof-eth', '-AB', 'A B', 'A'.repeat(33), 'ÄB'])('rejects %j', (sku) => {
    expect(violations(() => validateSku(sku))).toHaveLength(1);
  });
});

describe('validateCreateProduct', () => {
  const valid = {
    sku: 'BRW-AERO',
    name: '  AeroPress Original ',
    unitPrice: { currencyCode: 'EUR', amountMinor: 3990n },
    initialQuantity: 0,
  };

  it('trims the name and accepts zero stock and a zero price', () => {
    const product = validateCreateProduct(
      create(CreateProductRequestSchema, {
        ...valid,
        unitPrice: { currencyCode: 'EUR', amountMinor: 0n },
      }),
    );
    expect(product).toEqual({
      sku: 'BRW-AERO',
      name: 'AeroPress Original',
      price: { currencyCode: 'EUR', amountMinor: 0n },
      initialQuantity: 0,
    });
  });

  it('counts characters, not bytes, and refuses control characters', () => {
    const emoji = '☕'.repeat(120);
    expect(
      violations(() =>
        validateCreateProduct(create(CreateProductRequestSchema, { ...valid, name: emoji })),
      ),
    ).toEqual([]);
    expect(
      violations(() =>
        validateCreateProduct(create(CreateProductRequestSchema, { ...valid, name: 'Tab\there' })),
      ),
    ).toEqual(['name: must not contain control characters']);
  });

  it.each([
    [{ currencyCode: 'EURO', amountMinor: 1n }, 'unit_price.currency_code'],
    [{ currencyCode: 'Eur', amountMinor: 1n }, 'unit_price.currency_code'],
    [{ currencyCode: 'EUR', amountMinor: -5n }, 'unit_price.amount_minor'],
  ])('rejects the price %j', (unitPrice, field) => {
    const found = violations(() =>
      validateCreateProduct(create(CreateProductRequestSchema, { ...valid, unitPrice })),
    );
    expect(found.map((v) => v.split(':')[0])).toEqual([field]);
  });

  it('bounds the initial quantity to 0..1,000,000', () => {
    const at = (initialQuantity: number) =>
      violations(() =>
        validateCreateProduct(create(CreateProductRequestSchema, { ...valid, initialQuantity })),
      );
    expect(at(1_000_000)).toEqual([]);
    expect(at(1_000_001)).toEqual(['initial_quantity: must be between 0 and 1000000']);
    expect(at(-1)).toEqual(['initial_quantity: must be between 0 and 1000000']);
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
  it('checks a name that is set even when it is empty', () => {
    expect(
      violations(() =>
        validateUpdateProduct(create(UpdateProductRequestSchema, { sku: 'AB', name: '' })),
      ),
    ).toEqual(['name: is required (1-120 characters, not only spaces)']);
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
