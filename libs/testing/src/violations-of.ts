import { DomainError, type FieldViolation } from '@switchboard/errors';

/**
 * The field violations of the validation error `fn` throws, for specs of a
 * service's request checks; fails the test if `fn` returns, or throws
 * anything but a validation error.
 */
export function violationsOf(fn: () => unknown): FieldViolation[] {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (err.code !== 'INVALID_ARGUMENT') {
      throw new Error(`expected a validation error, got ${err.code}`, { cause: err });
    }
    return err.violations;
  }
  throw new Error('expected a validation error');
}
