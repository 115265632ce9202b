import { createAsyncChannel } from './create-async-channel';

describe('createAsyncChannel', () => {
  it('hands items over in order and holds a push while it is full', async () => {
    const channel = createAsyncChannel<number>(1);
    await channel.push(1);
    let secondQueued = false;
    const second = channel.push(2).then(() => (secondQueued = true));
    await Promise.resolve();
    expect(secondQueued).toBe(false);
    expect(await channel.next()).toBe(1);
    await second;
    expect(secondQueued).toBe(true);
    expect(await channel.next()).toBe(2);
  });

  it('wakes a waiting reader with the next push', async () => {
    const channel = createAsyncChannel<string>(4);
    const next = channel.next();
    await channel.push('a');
    expect(await next).toBe('a');
  });

  it('ends a waiting reader when the signal aborts, and a blocked push when closed', async () => {
    const channel = createAsyncChannel<number>(1);
    const abort = new AbortController();
    const waiting = channel.next(abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();

    await channel.push(1);
    const blocked = channel.push(2);
    channel.close();
    await blocked;
    expect(channel.closed).toBe(true);
    expect(await channel.next()).toBeUndefined();
  });
});
