import { createSecretSealer } from './create-secret-sealer';

describe('createSecretSealer', () => {
  const key = 'a-test-key-of-at-least-thirty-two-characters';

  it('opens what it sealed, in another process with the same key, and never shows the plaintext', async () => {
    const sealed = await createSecretSealer(key).seal('whsec_abc', 'sub-1');
    expect(sealed).not.toContain('whsec_abc');
    expect(await createSecretSealer(key).open(sealed, 'sub-1')).toBe('whsec_abc');
  });

  it('refuses another key, another row and an altered value', async () => {
    const sealer = createSecretSealer(key);
    const sealed = await sealer.seal('whsec_abc', 'sub-1');
    await expect(createSecretSealer(`${key}!`).open(sealed, 'sub-1')).rejects.toThrow(
      /does not open/,
    );
    await expect(sealer.open(sealed, 'sub-2')).rejects.toThrow(/does not open/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    await expect(sealer.open(parts.join('.'), 'sub-1')).rejects.toThrow(/does not open/);
  });
});
