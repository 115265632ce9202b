import type { DescMessage } from '@bufbuild/protobuf';

/** Checks a decoded request against the buf.validate rules its contract declares. */
export interface RequestValidator {
  /**
   * Returns when every rule holds; otherwise throws the INVALID_ARGUMENT
   * validation error naming each broken field, as handlers' own checks do.
   */
  check(schema: DescMessage, request: unknown): void;
}
