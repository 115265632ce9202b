import fc from 'fast-check';
import type { FilterRules, MatchableEvent } from './event-filter-rules';
import { matchEvent, valueAtPath } from './match-event';

const PLACED = 'switchboard.order.v1.OrderPlaced';
const CANCELLED = 'switchboard.order.v1.OrderCancelled';
const ORDERS = '/switchboard/order-service';

/** An OrderPlaced's data as proto3 JSON writes it: int64 as strings. */
function placed(amountMinor: string, extra: Record<string, unknown> = {}): MatchableEvent {
  return {
    type: PLACED,
    source: ORDERS,
    data: {
      orderId: 'o-1',
      customerId: 'c-1',
      total: { currencyCode: 'EUR', amountMinor },
      lines: [{ sku: 'COF-ETH-250', quantity: 2 }],
      ...extra,
    },
  };
}

describe('matchEvent', () => {
  it('matches by type and source: any listed entry, every part that is set', () => {
    expect(matchEvent({ types: [CANCELLED, PLACED] }, placed('1'))).toBe(true);
    expect(matchEvent({ types: [CANCELLED] }, placed('1'))).toBe(false);
    expect(matchEvent({ types: [PLACED], sources: [ORDERS] }, placed('1'))).toBe(true);
    expect(matchEvent({ types: [PLACED], sources: ['//elsewhere'] }, placed('1'))).toBe(false);
  });

  it('matches nothing with an empty filter', () => {
    expect(matchEvent({}, placed('1'))).toBe(false);
    expect(matchEvent({ types: [], sources: [], conditions: [] }, placed('1'))).toBe(false);
  });

  it('ranges over int64 text exactly, beyond what a double holds', () => {
    const over = { conditions: [{ field: 'total.amountMinor', range: { gte: 1000 } }] };
    expect(matchEvent(over, placed('1000'))).toBe(true);
    expect(matchEvent(over, placed('999'))).toBe(false);
    // 2^53 + 1 rounds to 2^53 as a double; compared exactly it is above it.
    const huge = { conditions: [{ field: 'n', range: { gt: 2 ** 53 } }] };
    expect(
      matchEvent(huge, { type: PLACED, source: ORDERS, data: { n: '9007199254740993' } }),
    ).toBe(true);
    expect(
      matchEvent(huge, { type: PLACED, source: ORDERS, data: { n: '9007199254740992' } }),
    ).toBe(false);
  });

  it('ranges over numbers, with open and closed bounds', () => {
    const lt = { conditions: [{ field: 'lines.0.quantity', range: { gt: 1, lt: 3 } }] };
    expect(matchEvent(lt, placed('1'))).toBe(true);
    const closed = { conditions: [{ field: 'lines.0.quantity', range: { gte: 3 } }] };
    expect(matchEvent(closed, placed('1'))).toBe(false);
    // Not a number at all: no match rather than a coercion.
    const text = { conditions: [{ field: 'orderId', range: { gte: 0 } }] };
    expect(matchEvent(text, placed('1'))).toBe(false);
  });

  it('compares equals by JSON text, prefix on strings only, exists on presence', () => {
    const rule = (c: FilterRules['conditions']) => ({ types: [PLACED], conditions: c });
    expect(matchEvent(rule([{ field: 'total.amountMinor', equals: '1290' }]), placed('1290'))).toBe(
      true,
    );
    expect(matchEvent(rule([{ field: 'lines.0.quantity', equals: '2' }]), placed('1'))).toBe(true);
    expect(matchEvent(rule([{ field: 'flag', equals: 'true' }]), placed('1', { flag: true }))).toBe(
      true,
    );
    expect(matchEvent(rule([{ field: 'lines.0.sku', prefix: 'COF-' }]), placed('1'))).toBe(true);
    expect(matchEvent(rule([{ field: 'lines.0.quantity', prefix: '2' }]), placed('1'))).toBe(false);
    expect(matchEvent(rule([{ field: 'total', exists: true }]), placed('1'))).toBe(true);
    expect(matchEvent(rule([{ field: 'coupon', exists: false }]), placed('1'))).toBe(true);
    expect(
      matchEvent(rule([{ field: 'coupon', exists: true }]), placed('1', { coupon: null })),
    ).toBe(false);
  });

  it('never walks into the prototype', () => {
    expect(valueAtPath({}, 'constructor')).toBeUndefined();
    expect(valueAtPath({ a: 'x' }, 'a.length')).toBeUndefined();
    expect(valueAtPath([1, 2], 'length')).toBeUndefined();
  });

  it('agrees with plain integer comparison for any int64 and whole bounds', () => {
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const bound = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
    fc.assert(
      fc.property(int64, bound, bound, (value, lo, hi) => {
        const event = { type: PLACED, source: ORDERS, data: { v: value.toString() } };
        const filter = { conditions: [{ field: 'v', range: { gte: lo, lt: hi } }] };
        expect(matchEvent(filter, event)).toBe(value >= BigInt(lo) && value < BigInt(hi));
      }),
    );
  });
});
