import { DISPLAY_NAME_MAX_CHARS, EMAIL_MAX_CHARS } from '@switchboard/contracts';
import { createValidationError, type FieldViolation } from '@switchboard/errors';

export interface Registration {
  email: string;
  password: string;
  displayName: string;
}

// Deliberately simple: one @, no spaces, a dot in the domain. Full RFC 5322 is
// not worth it; a confirmation mail is the only real check of an address.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
// From the contracts: the consumers of UserRegistered refuse what this refuses.
export const EMAIL_MAX = EMAIL_MAX_CHARS;
const DISPLAY_NAME_MAX = DISPLAY_NAME_MAX_CHARS;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function isEmailAddress(email: string): boolean {
  return email.length <= EMAIL_MAX && EMAIL.test(email);
}

/** Returns the cleaned registration, or throws one INVALID_ARGUMENT naming every bad field. */
export function validateRegistration(input: Registration): Registration {
  const email = normaliseEmail(input.email);
  const displayName = input.displayName.trim();
  const violations: FieldViolation[] = [];
  if (email.length === 0) violations.push({ field: 'email', description: 'is required' });
  else if (email.length > EMAIL_MAX)
    violations.push({ field: 'email', description: `must be at most ${EMAIL_MAX} characters` });
  else if (!EMAIL.test(email))
    violations.push({
      field: 'email',
      description: 'must be an email address like name@example.com',
    });
  const passwordLength = [...input.password].length;
  if (passwordLength < PASSWORD_MIN || passwordLength > PASSWORD_MAX) {
    violations.push({
      field: 'password',
      description: `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
    });
  }
  if (displayName.length === 0)
    violations.push({ field: 'display_name', description: 'is required' });
  else if ([...displayName].length > DISPLAY_NAME_MAX)
    violations.push({
      field: 'display_name',
      description: `must be at most ${DISPLAY_NAME_MAX} characters`,
    });
  else if (/\p{Cc}/u.test(displayName))
    violations.push({ field: 'display_name', description: 'must not contain control characters' });
  if (violations.length > 0) throw createValidationError(violations);
  return { email, password: input.password, displayName };
}
