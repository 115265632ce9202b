import { create } from '@bufbuild/protobuf';
import { TimestampSchema, type Timestamp } from '@bufbuild/protobuf/wkt';

/** A decimal nanosecond string, as the receiver keeps times, to a Timestamp without losing precision. */
export function timestampFromNanos(nanos: string): Timestamp {
  const n = BigInt(nanos);
  return create(TimestampSchema, {
    seconds: n / 1_000_000_000n,
    nanos: Number(n % 1_000_000_000n),
  });
}
