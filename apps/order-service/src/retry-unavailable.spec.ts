import { Code, ConnectError } from '@connectrpc/connect';
import { sleep as realSleep } from '@switchboard/timing';
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
    const sleep = async (ms: number) => {
      delays.push(ms);
      return true;
    };
    const f = flaky(unavailable(), unavailable(), unavailable(), unavailable());
    await retryUnavailable(f.call, {
      attempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 300,
      random: () => 0.5,
      sleep,
    });
    // Half of 100, 200, 300 (capped from 400), 300 (capped from 800).
    expect(delays).toEqual([50, 100, 150, 150]);

    delays.length = 0;
    const g = flaky(unavailable());
    await retryUnavailable(g.call, { baseDelayMs: 100, random: () => 0.999, sleep });
    expect(delays).toEqual([99]);
  });

  it('stops retrying once the signal aborts, without waiting out the back-off', async () => {
    const controller = new AbortController();
    const f = flaky(unavailable(), unavailable());
    const waits: number[] = [];
    const result = retryUnavailable(f.call, {
      baseDelayMs: 10_000,
      random: () => 0.99,
      signal: controller.signal,
      // The real sleep, watched: the test aborts as soon as the back-off has begun.
      sleep: (ms, signal) => {
        waits.push(ms);
        const waiting = realSleep(ms, signal);
        controller.abort();
        return waiting;
      },
    });
    await expect(result).rejects.toMatchObject({ code: Code.Unavailable });
    expect(waits).toEqual([990]); // capped at the default 1 s
    expect(f.attempts).toEqual([1]);
  });

  it('does not start when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const f = flaky(unavailable());
    await expect(retryUnavailable(f.call, { signal: controller.signal })).rejects.toMatchObject({
      code: Code.Unavailable,
    });
    expect(f.attempts).toEqual([1]);
  });
});
