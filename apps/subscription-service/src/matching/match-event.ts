import type { ConditionRule, FilterRules, MatchableEvent, RangeRule } from './event-filter-rules';

const INT64_TEXT = /^-?\d+$/;

/** The value at a dotted path (`total.amountMinor`, `lines.0.sku`); undefined when absent. */
export function valueAtPath(data: unknown, path: string): unknown {
  let current: unknown = data;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else {
      // Own properties only: `constructor` or `__proto__` never reach the prototype.
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

/** A JSON value's text as `equals` compares it: strings bare, everything else as JSON. */
function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** -1, 0 or 1; exact for int64 text against a whole bound, where doubles would round. */
function compare(value: number | string, bound: number): number {
  if (typeof value === 'string' && Number.isInteger(bound)) {
    const a = BigInt(value);
    const b = BigInt(bound);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const a = Number(value);
  return a < bound ? -1 : a > bound ? 1 : 0;
}

function inRange(value: unknown, range: RangeRule): boolean {
  let n: number | string;
  if (typeof value === 'number' && Number.isFinite(value)) n = value;
  else if (typeof value === 'string' && INT64_TEXT.test(value)) n = value;
  else return false;
  if (range.gte !== undefined && compare(n, range.gte) < 0) return false;
  if (range.gt !== undefined && compare(n, range.gt) <= 0) return false;
  if (range.lte !== undefined && compare(n, range.lte) > 0) return false;
  if (range.lt !== undefined && compare(n, range.lt) >= 0) return false;
  return true;
}

function holds(condition: ConditionRule, data: unknown): boolean {
  const value = valueAtPath(data, condition.field);
  if ('exists' in condition) return (value !== undefined && value !== null) === condition.exists;
  if (value === undefined || value === null) return false;
  if ('equals' in condition) return jsonText(value) === condition.equals;
  if ('prefix' in condition) return typeof value === 'string' && value.startsWith(condition.prefix);
  return inRange(value, condition.range);
}

/**
 * Whether an event passes a filter: every part that is set must hold; within
 * types or sources any one entry will do. An empty filter matches nothing
 * (validation refuses one anyway), so a stored row gone wrong never floods a sink.
 */
export function matchEvent(filter: FilterRules, event: MatchableEvent): boolean {
  const types = filter.types ?? [];
  const sources = filter.sources ?? [];
  const conditions = filter.conditions ?? [];
  if (types.length === 0 && sources.length === 0 && conditions.length === 0) return false;
  if (types.length > 0 && !types.includes(event.type)) return false;
  if (sources.length > 0 && !sources.includes(event.source)) return false;
  return conditions.every((c) => holds(c, event.data));
}
