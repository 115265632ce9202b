import { DomainError, createValidationError, isDomainError } from './index';

describe('DomainError', () => {
  it('takes its kind from the catalogue and keeps the cause out of the message', () => {
    const cause = new Error('connection reset');
    const err = new DomainError('ORDER_NOT_FOUND', 'order o-1 not found', { cause });
    expect(err.kind).toBe('not_found');
    expect(err.message).toBe('order o-1 not found');
    expect(err.cause).toBe(cause);
    expect(isDomainError(err)).toBe(true);
    expect(isDomainError(new Error('x'))).toBe(false);
  });

  it('names every violated field in one message', () => {
    const err = createValidationError([
      { field: 'items', description: 'must have 1 to 100 entries' },
      { field: 'items[0].quantity', description: 'must be between 1 and 1000' },
    ]);
    expect(err.kind).toBe('invalid_argument');
    expect(err.message).toBe(
      'items: must have 1 to 100 entries; items[0].quantity: must be between 1 and 1000',
    );
    expect(err.violations).toHaveLength(2);
  });
});
