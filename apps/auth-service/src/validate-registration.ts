import { EMAIL_MAX_CHARS } from '@switchboard/contracts';

/**
 * What registration stores, and the rules the admin account's configuration
 * shares with it. The field rules of Register and Login themselves (lengths,
 * the email format, control characters) are buf.validate annotations in
 * auth_service.proto, checked before a handler runs.
 */

export interface Registration {
  email: string;
  password: string;
  displayName: string;
}

// Deliberately simple: one @, no spaces, a dot in the domain. Full RFC 5322 is
// not worth it; a confirmation mail is the only real check of an address.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// As RegisterRequest.password's rule in the contract; the admin's configured password obeys it too.
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
// From the contracts: the consumers of UserRegistered refuse what this refuses.
export const EMAIL_MAX = EMAIL_MAX_CHARS;

/** One account per address, however the caller typed it. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** For the configured admin address, which no request rule checks. */
export function isEmailAddress(email: string): boolean {
  return email.length <= EMAIL_MAX && EMAIL.test(email);
}

/** The registration as stored: the email lower-cased, the name trimmed, the password as typed. */
export function toRegistration(input: Registration): Registration {
  return {
    email: normaliseEmail(input.email),
    password: input.password,
    displayName: input.displayName.trim(),
  };
}
