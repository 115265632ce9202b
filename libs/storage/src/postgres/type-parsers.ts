import pg from 'pg';

/**
 * How column values come back:
 *
 * - int8 / bigint (and bigserial, count(*), sum of int8) → JS `bigint`, always,
 *   even when small. Money amounts are int64 (bigint in protobuf-es), so they
 *   flow from row to message without a lossy or forgotten conversion, and
 *   "sometimes number, sometimes bigint" can never happen. int8[] → bigint[].
 * - numeric → string, so no precision is lost; parse it where it is used.
 * - date → 'YYYY-MM-DD' string: a calendar date has no time zone, and turning
 *   it into a Date shifts it by the process's offset.
 * - interval → the server's text form.
 * - everything else keeps the drivers' common defaults: int2/int4/float →
 *   number, timestamptz → Date, json/jsonb → parsed value, bool → boolean.
 *
 * Parameters accept bigint (and number) for int8 columns.
 */
export type TypeParser = (value: string) => unknown;

const OID = {
  int8: 20,
  int8Array: 1016,
  date: 1082,
  dateArray: 1182,
  interval: 1186,
  intervalArray: 1187,
  numeric: 1700,
  numericArray: 1231,
} as const;

const parseInt8: TypeParser = (value) => BigInt(value);
const asText: TypeParser = (value) => value;

const scalarParsers: Record<number, TypeParser> = {
  [OID.int8]: parseInt8,
  [OID.date]: asText,
  [OID.interval]: asText,
  [OID.numeric]: asText,
};

// pg's own text[] parser splits any array literal into (nested) strings and nulls.
const TEXT_ARRAY = 1009;
const splitArray = (pg.types.getTypeParser as (oid: number, format: 'text') => TypeParser)(
  TEXT_ARRAY,
  'text',
);

function mapElements(value: unknown, element: TypeParser): unknown {
  if (Array.isArray(value)) return value.map((entry) => mapElements(entry, element));
  return value === null ? null : element(value as string);
}

const arrayOf =
  (element: TypeParser): TypeParser =>
  (value) =>
    mapElements(splitArray(value), element);

// pg needs the array types spelled out: its defaults parse numeric[] as floats
// and date[] as Dates, unlike their elements above.
const pgOverrides: Record<number, TypeParser> = {
  ...scalarParsers,
  [OID.int8Array]: arrayOf(parseInt8),
  [OID.dateArray]: arrayOf(asText),
  [OID.intervalArray]: arrayOf(asText),
  [OID.numericArray]: arrayOf(asText),
};

/**
 * Per-pool type parsing for pg. Passed to each Pool and Client rather than set
 * on pg's global registry, so nothing else in the process that uses pg changes.
 */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const override = format === 'binary' ? undefined : pgOverrides[oid];
    return override ?? pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};
