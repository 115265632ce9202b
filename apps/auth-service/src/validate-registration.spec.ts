import { DomainError } from '@switchboard/errors';
import { validateRegistration } from './validate-registration';

function violations(input: { email: string; password: string; displayName: string }) {
  try {
    validateRegistration(input);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('INVALID_ARGUMENT');
    return (err as DomainError).violations.map((v) => v.field);
  }
  return [];
}

describe('validateRegistration', () => {
  it('cleans a valid registration: email trimmed and lower-cased, name trimmed, password untouched', () => {
    expect(
      validateRegistration({
        email: ' Ada@Example.COM ',
        password: ' ten chars ',
        displayName: ' Ada ',
      }),
    ).toEqual({ email: 'ada@example.com', password: ' ten chars ', displayName: 'Ada' });
  });

  it.each([
    ['no at sign', 'ada.example.com'],
    ['no dot in the domain', 'ada@example'],
    ['a space', 'a da@example.com'],
    ['empty', ''],
    ['too long', `${'a'.repeat(250)}@example.com`],
  ])('refuses an email with %s', (_why, email) => {
    expect(violations({ email, password: 'long-enough', displayName: 'Ada' })).toEqual(['email']);
  });

  it('counts password length in characters: 10 to 128', () => {
    const base = { email: 'a@b.co', displayName: 'Ada' };
    expect(violations({ ...base, password: '123456789' })).toEqual(['password']);
    expect(violations({ ...base, password: '1234567890' })).toEqual([]);
    expect(violations({ ...base, password: '😀'.repeat(128) })).toEqual([]);
    expect(violations({ ...base, password: 'x'.repeat(129) })).toEqual(['password']);
  });

  it('refuses a missing, overlong or control-character display name', () => {
    const base = { email: 'a@b.co', password: 'long-enough' };
    expect(violations({ ...base, displayName: '   ' })).toEqual(['display_name']);
    expect(violations({ ...base, displayName: 'n'.repeat(65) })).toEqual(['display_name']);
    expect(violations({ ...base, displayName: 'bell\u0007' })).toEqual(['display_name']);
  });

  it('names every bad field at once', () => {
    expect(violations({ email: 'x', password: 'short', displayName: '' })).toEqual([
      'email',
      'password',
      'display_name',
    ]);
  });
});
