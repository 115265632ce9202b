import { UUID_PATTERN } from '@switchboard/contracts';

/**
 * The post service's bounds that code still needs. The request field rules
 * are buf.validate annotations in post_service.proto; those the consumers of
 * its events check again come from the contracts.
 */
export const postLimits = {
  /** What page_size 0 means (the contract says so too). */
  defaultPageSize: 20,
  /** User ids in UserRegistered are the UUIDs the auth service mints. */
  uuidPattern: UUID_PATTERN,
} as const;
