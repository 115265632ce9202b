import { createTestLogger } from '@switchboard/testing';
import { createManualClock } from '@switchboard/timing';
import type { WorkQueue } from '@switchboard/work-queue';
import { createQueueOpener } from './create-queue-opener';

// The opening logic alone, with a stand-in queue; the real brokers are in
// queue-broker-absent.spec.ts.

function fakeQueue(events: string[], name: string): WorkQueue {
  return {
    send: () => Promise.resolve(),
    consume: () => Promise.reject(new Error('not used here')),
    close: async () => {
      events.push(`close ${name}`);
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe('createQueueOpener', () => {
  it('retries opening with back-off, fails the probe meanwhile, then starts what runs on the queue', async () => {
    const clock = createManualClock();
    const events: string[] = [];
    let attempts = 0;
    const opener = createQueueOpener({
      open: async () => {
        attempts++;
        if (attempts < 3) throw new Error(`broker refused attempt ${attempts}`);
        return fakeQueue(events, 'queue');
      },
      use: async () => {
        events.push('use');
        return { close: async () => void events.push('close user') };
      },
      logger: createTestLogger('queue-opener-spec'),
      clock,
    });

    opener.start();
    await settle();
    expect(attempts).toBe(1);
    await expect(opener.probe()).rejects.toThrow('work queue not open: broker refused attempt 1');
    await clock.advance(1_000);
    expect(attempts).toBe(2);
    await expect(opener.probe()).rejects.toThrow('broker refused attempt 2');
    await clock.advance(1_999);
    expect(attempts).toBe(2);
    await clock.advance(1);
    await settle();
    expect(attempts).toBe(3);
    await expect(opener.probe()).resolves.toBeUndefined();
    expect(opener.queue).toBeDefined();
    expect(events).toEqual(['use']);

    await opener.close();
    expect(events).toEqual(['use', 'close user', 'close queue']);
  });

  it('closes a queue whose users could not start, and tries again', async () => {
    const clock = createManualClock();
    const events: string[] = [];
    let opened = 0;
    const opener = createQueueOpener({
      open: async () => fakeQueue(events, `queue ${++opened}`),
      use: async () => {
        if (opened === 1) throw new Error('consumer channel refused');
        return { close: async () => void events.push('close user') };
      },
      logger: createTestLogger('queue-opener-spec'),
      clock,
    });

    opener.start();
    await settle();
    expect(events).toEqual(['close queue 1']);
    await expect(opener.probe()).rejects.toThrow('consumer channel refused');
    await clock.advance(1_000);
    await settle();
    await expect(opener.probe()).resolves.toBeUndefined();
    await opener.close();
    expect(events).toEqual(['close queue 1', 'close user', 'close queue 2']);
  });

  it('on close, aborts the attempt under way and makes no further one', async () => {
    const clock = createManualClock();
    let attempts = 0;
    let aborted = false;
    const opener = createQueueOpener({
      // An attempt that only its signal ends, like a connect to a silent host.
      open: (signal) => {
        attempts++;
        return new Promise<WorkQueue>((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          }),
        );
      },
      use: () => Promise.reject(new Error('never reached')),
      logger: createTestLogger('queue-opener-spec'),
      clock,
    });

    opener.start();
    await settle();
    await opener.close();
    expect(aborted).toBe(true);
    await clock.advance(120_000);
    expect(attempts).toBe(1);
    expect(clock.pending).toBe(0);
    await expect(opener.probe()).rejects.toThrow('work queue not open');
  });
});
