import { create } from '@bufbuild/protobuf';
import { EventFilterSchema, type EventFilter } from '@switchboard/contracts';
import { createEventRegistry } from '@switchboard/event-bus';
import { MAX_FILTER_JSON_BYTES, validateFilter } from './validate-filter';

const registry = createEventRegistry();
const known = (type: string) => registry.byType(type) !== undefined;
const PLACED = 'switchboard.order.v1.OrderPlaced';
const filter = (init: Parameters<typeof create<typeof EventFilterSchema>>[1]): EventFilter =>
  create(EventFilterSchema, init);
const fields = (f: EventFilter | undefined) =>
  validateFilter(f, known).violations.map((v) => v.field);

describe('validateFilter', () => {
  it('accepts a known type with a range on the total, and stores it as plain rules', () => {
    const result = validateFilter(
      filter({
        types: [PLACED],
        conditions: [{ field: 'total.amountMinor', test: { case: 'range', value: { gte: 1000 } } }],
      }),
      known,
    );
    expect(result.violations).toEqual([]);
    expect(result.rules).toEqual({
      types: [PLACED],
      sources: [],
      conditions: [{ field: 'total.amountMinor', range: { gte: 1000 } }],
    });
  });

  it('refuses a missing or empty filter', () => {
    expect(fields(undefined)).toEqual(['filter']);
    expect(fields(filter({}))).toEqual(['filter']);
  });

  it('refuses unknown types, naming each', () => {
    const result = validateFilter(
      filter({ types: [PLACED, 'switchboard.nope.v1.Nothing'] }),
      known,
    );
    expect(result.violations).toEqual([
      {
        field: 'filter.types[1]',
        description: '"switchboard.nope.v1.Nothing" is not an event type of this system',
      },
    ]);
  });

  it('refuses paths that do not parse', () => {
    for (const path of ['total..amount', '.total', 'total.', 'a b', 'a[0]', 'x.-1']) {
      expect(
        fields(
          filter({
            types: [PLACED],
            conditions: [{ field: path, test: { case: 'exists', value: true } }],
          }),
        ),
      ).toEqual(['filter.conditions[0].field']);
    }
  });

  it('refuses a condition without a test, and ranges that cannot hold', () => {
    const range = (value: Record<string, number>) =>
      fields(
        filter({ types: [PLACED], conditions: [{ field: 'n', test: { case: 'range', value } }] }),
      );
    expect(fields(filter({ types: [PLACED], conditions: [{ field: 'n' }] }))).toEqual([
      'filter.conditions[0]',
    ]);
    expect(range({})).toEqual(['filter.conditions[0].range']);
    expect(range({ gte: 10, lte: 5 })).toEqual(['filter.conditions[0].range']);
    expect(range({ gte: 1, gt: 2 })).toEqual(['filter.conditions[0].range']);
    expect(range({ gte: Number.NaN })).toEqual(['filter.conditions[0].range.gte']);
    expect(range({ gte: 5, lte: 5 })).toEqual([]);
  });

  it('refuses a filter heavier than the limit, saying by how much', () => {
    const sources = Array.from({ length: 50 }, (_, i) => `//switchboard/${'s'.repeat(180)}-${i}`);
    const result = validateFilter(filter({ types: [PLACED], sources }), known);
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]!.description).toMatch(
      new RegExp(`more than the ${MAX_FILTER_JSON_BYTES} a subscription may have`),
    );
  });
});
