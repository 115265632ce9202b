import type { EventFilter, NumericRange } from '@switchboard/contracts';
import type { FieldViolation } from '@switchboard/errors';
import type { ConditionRule, FilterRules, RangeRule } from './event-filter-rules';

/** Identifiers and array indexes, dot-separated: `total.amountMinor`, `lines.0.sku`. */
const PATH = /^(?:[A-Za-z_][A-Za-z0-9_]*|\d{1,4})(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d{1,4})){0,15}$/;

/**
 * The most a filter may weigh as stored JSON. The contract caps each list;
 * this caps their sum, because every event is matched against every live
 * filter and a few huge ones would slow matching for all.
 */
export const MAX_FILTER_JSON_BYTES = 8 * 1024;

export interface ValidatedFilter {
  readonly rules: FilterRules;
  readonly violations: FieldViolation[];
}

function rangeOf(range: NumericRange, field: string, violations: FieldViolation[]): RangeRule {
  const bounds = { gte: range.gte, gt: range.gt, lte: range.lte, lt: range.lt };
  const set = Object.entries(bounds).filter(([, v]) => v !== undefined) as [string, number][];
  if (set.length === 0) {
    violations.push({ field, description: 'needs at least one bound (gte, gt, lte or lt)' });
  }
  for (const [name, v] of set) {
    if (!Number.isFinite(v))
      violations.push({ field: `${field}.${name}`, description: 'must be a finite number' });
  }
  if (range.gte !== undefined && range.gt !== undefined) {
    violations.push({ field, description: 'may have gte or gt, not both' });
  }
  if (range.lte !== undefined && range.lt !== undefined) {
    violations.push({ field, description: 'may have lte or lt, not both' });
  }
  const lo = range.gte ?? range.gt;
  const hi = range.lte ?? range.lt;
  if (lo !== undefined && hi !== undefined && lo > hi) {
    violations.push({ field, description: `lower bound ${lo} is above upper bound ${hi}` });
  }
  return Object.fromEntries(set) as RangeRule;
}

/**
 * Checks what the contract's rules cannot see (they already ran): a filter
 * that says something, paths that parse, ranges that can hold, types that
 * exist, and the total size. Returns the rules to store, and every problem
 * at once, so the caller fixes them all in one go.
 */
export function validateFilter(
  filter: EventFilter | undefined,
  isKnownType: (type: string) => boolean,
): ValidatedFilter {
  const violations: FieldViolation[] = [];
  if (filter === undefined) {
    return { rules: {}, violations: [{ field: 'filter', description: 'is required' }] };
  }
  if (filter.types.length === 0 && filter.sources.length === 0 && filter.conditions.length === 0) {
    violations.push({
      field: 'filter',
      description: 'is empty: give at least one type, source or condition',
    });
  }
  filter.types.forEach((type, i) => {
    if (!isKnownType(type)) {
      violations.push({
        field: `filter.types[${i}]`,
        description: `"${type}" is not an event type of this system`,
      });
    }
  });
  const conditions: ConditionRule[] = [];
  filter.conditions.forEach((c, i) => {
    const at = `filter.conditions[${i}]`;
    if (!PATH.test(c.field)) {
      violations.push({
        field: `${at}.field`,
        description: `"${c.field}" is not a dotted path of names or indexes (e.g. total.amountMinor)`,
      });
    }
    switch (c.test.case) {
      case 'equals':
        conditions.push({ field: c.field, equals: c.test.value });
        break;
      case 'prefix':
        conditions.push({ field: c.field, prefix: c.test.value });
        break;
      case 'exists':
        conditions.push({ field: c.field, exists: c.test.value });
        break;
      case 'range':
        conditions.push({
          field: c.field,
          range: rangeOf(c.test.value, `${at}.range`, violations),
        });
        break;
      default:
        violations.push({
          field: at,
          description: 'needs one test: equals, prefix, range or exists',
        });
    }
  });
  const rules: FilterRules = {
    types: [...filter.types],
    sources: [...filter.sources],
    conditions,
  };
  const bytes = Buffer.byteLength(JSON.stringify(rules));
  if (bytes > MAX_FILTER_JSON_BYTES) {
    violations.push({
      field: 'filter',
      description: `is ${bytes} bytes as JSON, more than the ${MAX_FILTER_JSON_BYTES} a subscription may have`,
    });
  }
  return { rules, violations };
}
