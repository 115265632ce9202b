import { DomainError } from '@switchboard/errors';
import { checkSinkUrl, type ResolveHost } from './check-sink-url';

// Names resolved by a table: the point is what the check does with each
// answer, and real DNS cannot be made to answer with a metadata address.
const table: Record<string, string[]> = {
  'public.example': ['93.184.216.34'],
  'rebind.example': ['93.184.216.34', '169.254.169.254'],
  'private.example': ['10.0.0.7'],
  'empty.example': [],
};
const resolve: ResolveHost = async (host) => {
  const found = table[host];
  if (found === undefined) throw new Error(`ENOTFOUND ${host}`);
  return found;
};

async function refusal(url: string, allowLoopback = false): Promise<string> {
  try {
    await checkSinkUrl(url, { allowLoopback, resolve });
  } catch (err) {
    if (err instanceof DomainError && err.code === 'INVALID_ARGUMENT') return err.message;
    throw err;
  }
  throw new Error(`${url} was accepted`);
}

describe('checkSinkUrl', () => {
  it('accepts a public host, and a private one only when loopback sinks are allowed', async () => {
    await expect(
      checkSinkUrl('https://public.example/hook', { allowLoopback: false, resolve }),
    ).resolves.toBeInstanceOf(URL);
    expect(await refusal('https://private.example/hook')).toMatch(/10\.0\.0\.7, a private address/);
    await expect(
      checkSinkUrl('https://private.example/hook', { allowLoopback: true, resolve }),
    ).resolves.toBeInstanceOf(URL);
  });

  it('refuses a name when any one of its addresses is refused', async () => {
    expect(await refusal('https://rebind.example/hook', true)).toMatch(
      /169\.254\.169\.254, a cloud metadata address/,
    );
  });

  it('refuses names that do not resolve', async () => {
    expect(await refusal('https://nowhere.example/hook')).toMatch(/does not resolve/);
    expect(await refusal('https://empty.example/hook')).toMatch(/does not resolve/);
  });
});
