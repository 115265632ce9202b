import { createManualClock } from './create-manual-clock';
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

  it('waits on the clock it is given, and an abort cancels its timer', async () => {
    const clock = createManualClock();
    let done: boolean | undefined;
    void sleep(5_000, undefined, clock).then((r) => (done = r));
    await clock.advance(4_999);
    expect(done).toBeUndefined();
    await clock.advance(1);
    expect(done).toBe(true);

    const aborted = new AbortController();
    const waiting = sleep(5_000, aborted.signal, clock);
    expect(clock.pending).toBe(1);
    aborted.abort();
    expect(await waiting).toBe(false);
    expect(clock.pending).toBe(0);
  });
});
