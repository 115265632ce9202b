import { POST_TEXT_MAX_CHARS, UUID_PATTERN, UUID_RULE } from '@switchboard/contracts';

/**
 * The rules the post API enforces, in one place so the validators, the error
 * messages and the tests agree. Those the consumers of its events check
 * again come from the contracts, so the two sides cannot disagree.
 */
export const postLimits = {
  /** Counted in code points after trimming, so "Café" is four characters as a person counts it. */
  textMaxChars: POST_TEXT_MAX_CHARS,
  defaultPageSize: 20,
  maxPageSize: 100,
  /** User and post ids are the UUIDs the auth service and this service mint. */
  uuidPattern: UUID_PATTERN,
  uuidRule: UUID_RULE,
} as const;
