import { create } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { isValidTimestamp, timestampToMicrosIso } from './timestamp-micros';

const ts = (seconds: bigint, nanos: number) => create(TimestampSchema, { seconds, nanos });

describe('timestampToMicrosIso', () => {
  it('keeps microseconds that a Date would drop', () => {
    const t = ts(1_709_380_800n, 123_456_000);
    expect(timestampToMicrosIso(t, 'floor')).toBe('2024-03-02T12:00:00.123456Z');
    expect(timestampToMicrosIso(t, 'ceil')).toBe('2024-03-02T12:00:00.123456Z');
  });

  it('floors or rounds up what is finer than a microsecond', () => {
    const t = ts(1_709_380_800n, 500);
    expect(timestampToMicrosIso(t, 'floor')).toBe('2024-03-02T12:00:00.000000Z');
    expect(timestampToMicrosIso(t, 'ceil')).toBe('2024-03-02T12:00:00.000001Z');
  });

  it('carries a rounded-up microsecond into the next second', () => {
    expect(timestampToMicrosIso(ts(1_709_380_800n, 999_999_001), 'ceil')).toBe(
      '2024-03-02T12:00:01.000000Z',
    );
  });

  it('handles the first and the last instant a Timestamp can hold', () => {
    expect(timestampToMicrosIso(ts(-62_135_596_800n, 0), 'floor')).toBe(
      '0001-01-01T00:00:00.000000Z',
    );
    expect(timestampToMicrosIso(ts(253_402_300_799n, 999_999_999), 'floor')).toBe(
      '9999-12-31T23:59:59.999999Z',
    );
    expect(timestampToMicrosIso(ts(253_402_300_799n, 999_999_999), 'ceil')).toBe(
      '10000-01-01T00:00:00.000000Z',
    );
  });

  it('writes times before 1970 the right way round', () => {
    expect(timestampToMicrosIso(ts(-1n, 250_000_000), 'floor')).toBe('1969-12-31T23:59:59.250000Z');
  });
});

describe('isValidTimestamp', () => {
  it.each([
    [ts(0n, 0), true],
    [ts(253_402_300_799n, 999_999_999), true],
    [ts(253_402_300_800n, 0), false],
    [ts(-62_135_596_801n, 0), false],
    [ts(0n, 1_000_000_000), false],
    [ts(0n, -1), false],
  ])('%o is %s', (t, valid) => {
    expect(isValidTimestamp(t)).toBe(valid);
  });
});
