import { sleep } from './sleep';

describe('sleep', () => {
  it('resolves true when the time runs out', async () => {
    expect(await sleep(1)).toBe(true);
  });

  it('resolves false, without throwing, when aborted before or during the wait', async () => {
    const before = new AbortController();
    before.abort();
    expect(await sleep(60_000, before.signal)).toBe(false);

    const during = new AbortController();
    const waiting = sleep(60_000, during.signal);
    during.abort();
    expect(await waiting).toBe(false);
  });
});
