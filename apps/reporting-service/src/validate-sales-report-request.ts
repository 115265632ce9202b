import type { Timestamp } from '@bufbuild/protobuf/wkt';
import type { GetSalesReportRequest } from '@switchboard/contracts';
import { createValidationError, type FieldViolation } from '@switchboard/errors';
import { isValidTimestamp, timestampToMicrosIso } from './timestamp-micros';

export interface SalesReportRange {
  /** Inclusive; undefined is open. Microsecond ISO string. */
  from?: string;
  /** Exclusive; undefined is open. Microsecond ISO string. */
  to?: string;
}

function isAfter(a: Timestamp, b: Timestamp): boolean {
  return a.seconds > b.seconds || (a.seconds === b.seconds && a.nanos > b.nanos);
}

/**
 * Checks the bounds and turns them into query parameters. from == to is a
 * valid, empty range; from > to is a mistake worth telling the caller about
 * rather than answering with an empty report.
 */
export function validateSalesReportRequest(request: GetSalesReportRequest): SalesReportRange {
  const violations: FieldViolation[] = [];
  const { from, to } = request;
  if (from !== undefined && !isValidTimestamp(from))
    violations.push({ field: 'from', description: 'must be a valid timestamp (years 1 to 9999)' });
  if (to !== undefined && !isValidTimestamp(to))
    violations.push({ field: 'to', description: 'must be a valid timestamp (years 1 to 9999)' });
  if (violations.length === 0 && from !== undefined && to !== undefined && isAfter(from, to))
    violations.push({ field: 'from', description: 'must not be after to' });
  if (violations.length > 0) throw createValidationError(violations);
  return {
    from: from === undefined ? undefined : timestampToMicrosIso(from, 'ceil'),
    to: to === undefined ? undefined : timestampToMicrosIso(to, 'ceil'),
  };
}
