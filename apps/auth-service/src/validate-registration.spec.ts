import { isEmailAddress, toRegistration } from './validate-registration';

// The field rules of Register (email format and length, password length,
// display name) are the contract's: libs/rpc/src/contract-rules.spec.ts
// checks them over a socket.

describe('toRegistration', () => {
  it('stores the email trimmed and lower-cased, the name trimmed, the password untouched', () => {
    expect(
      toRegistration({
        email: ' Ada@Example.COM ',
        password: ' ten chars ',
        displayName: ' Ada ',
      }),
    ).toEqual({ email: 'ada@example.com', password: ' ten chars ', displayName: 'Ada' });
  });
});

describe('isEmailAddress (the configured admin address)', () => {
  it.each([
    ['no at sign', 'ada.example.com'],
    ['no dot in the domain', 'ada@example'],
    ['a space', 'a da@example.com'],
    ['empty', ''],
    ['too long', `${'a'.repeat(250)}@example.com`],
  ])('refuses an email with %s', (_why, email) => {
    expect(isEmailAddress(email)).toBe(false);
  });

  it('accepts a plain address', () => {
    expect(isEmailAddress('ada@example.com')).toBe(true);
  });
});
