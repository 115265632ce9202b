import { isDomainError } from './domain-error';
import { requireEachSkuOnce } from './require-each-sku-once';

describe('requireEachSkuOnce', () => {
  it('returns the lines as plain lines, in request order', () => {
    const extra = { sku: 'B', quantity: 1, note: 'dropped' };
    expect(requireEachSkuOnce([{ sku: 'A', quantity: 2 }, extra])).toEqual([
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ]);
  });

  it('refuses every repeat of a sku, naming the line and the sku', () => {
    let caught: unknown;
    try {
      requireEachSkuOnce([
        { sku: 'A', quantity: 1 },
        { sku: 'A', quantity: 2 },
        { sku: 'A', quantity: 3 },
      ]);
    } catch (err) {
      caught = err;
    }
    expect(isDomainError(caught) && caught.code).toBe('INVALID_ARGUMENT');
    expect(isDomainError(caught) && caught.violations.map((v) => v.field)).toEqual([
      'items[1].sku',
      'items[2].sku',
    ]);
  });
});
