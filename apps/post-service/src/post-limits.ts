/**
 * The rules the post API enforces, in one place so the validators, the error
 * messages and the tests agree.
 */
export const postLimits = {
  /** Counted in code points after trimming, so "Café" is four characters as a person counts it. */
  textMaxChars: 2000,
  defaultPageSize: 20,
  maxPageSize: 100,
  /** User and post ids are the UUIDs the auth service and this service mint. */
  uuidPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  uuidRule: 'must be a UUID such as 0b7e6c1a-5f0e-4c1e-9d43-3f0a3c1b2d4e',
} as const;
