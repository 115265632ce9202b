import { Code, ConnectError } from '@connectrpc/connect';
import { retryUnavailable } from './retry-unavailable';

const unavailable = () => new ConnectError('down', Code.Unavailable);

/** A call that fails with the given errors in turn, then answers 'ok'. */
function flaky(...errors: Error[]) {
  const attempts: number[] = [];
  return {
    attempts,
    call: async (attempt: number) => {
      attempts.push(attempt);
      const err = errors.shift();
      if (err !== undefined) throw err;
      return 'ok';
    },
  };
}

describe('retryUnavailable', () => {
  it('retries UNAVAILABLE and answers with the first success', async () => {
    const f = flaky(unavailable(), unavailable());
    await expect(retryUnavailable(f.call, { baseDelayMs: 1 })).resolves.toBe('ok');
    expect(f.attempts).toEqual([1, 2, 3]);
  });

  it('gives up after the last attempt with the last failure', async () => {
    const last = unavailable();
    const f = flaky(unavailable(), unavailable(), last);
    await expect(retryUnavailable(f.call, { baseDelayMs: 1 })).rejects.toBe(last);
    expect(f.attempts).toEqual([1, 2, 3]);
  });

  it.each([
    ['DEADLINE_EXCEEDED', new ConnectError('slow', Code.DeadlineExceeded)],
    ['FAILED_PRECONDITION', new ConnectError('no', Code.FailedPrecondition)],
    ['a plain error', new Error('bug')],
  ])('never retries %s: the request may have been processed', async (_name, err) => {
    const f = flaky(err);
    await expect(retryUnavailable(f.call, { baseDelayMs: 1 })).rejects.toBe(err);
    expect(f.attempts).toEqual([1]);
  });

  it('backs off exponentially, with full jitter, up to the cap', async () => {
    const delays: number[] = [];
    const realSetTimeout = global.setTimeout;
    const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((
      fn: () => void,
      ms?: number,
    ) => {
      delays.push(ms ?? 0);
      return realSetTimeout(fn, 0);
    }) as typeof setTimeout);
    try {
      const f = flaky(unavailable(), unavailable(), unavailable(), unavailable());
      await retryUnavailable(f.call, {
        attempts: 5,
        baseDelayMs: 100,
        maxDelayMs: 300,
        random: () => 0.5,
      });
      // Half of 100, 200, 300 (capped from 400), 300 (capped from 800).
      expect(delays).toEqual([50, 100, 150, 150]);

      delays.length = 0;
      const g = flaky(unavailable());
      await retryUnavailable(g.call, { baseDelayMs: 100, random: () => 0.999 });
      expect(delays).toEqual([99]);
    } finally {
      spy.mockRestore();
    }
  });

  it('stops retrying once the signal aborts', async () => {
    const controller = new AbortController();
    const f = flaky(unavailable(), unavailable());
    const started = Date.now();
    const result = retryUnavailable(f.call, {
      baseDelayMs: 10_000,
      random: () => 0.99,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    await expect(result).rejects.toMatchObject({ code: Code.Unavailable });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(f.attempts).toEqual([1]);
  });
});
