import { createValidationError, type FieldViolation } from './domain-error';

export interface SkuLine {
  sku: string;
  quantity: number;
}

/**
 * The requested lines, each sku once, as plain lines. A sku listed twice is
 * refused, naming each repeat, rather than merged: merging would silently
 * change what the caller asked for, and one line per sku keeps "all or
 * nothing" and a shortfall report unambiguous. Shared by every service that
 * takes a list of stock lines (orders, reservations), so they refuse alike.
 */
export function requireEachSkuOnce(items: readonly SkuLine[]): SkuLine[] {
  const seen = new Set<string>();
  const problems: FieldViolation[] = [];
  items.forEach((item, i) => {
    if (seen.has(item.sku)) {
      problems.push({
        field: `items[${i}].sku`,
        description: `duplicates ${item.sku}: list each sku once with the total quantity`,
      });
    }
    seen.add(item.sku);
  });
  if (problems.length > 0) throw createValidationError(problems);
  return items.map((item) => ({ sku: item.sku, quantity: item.quantity }));
}
