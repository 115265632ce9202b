import { Writable } from 'node:stream';
import { createLogger } from '@switchboard/logger';
import { closeOnSignal } from './close-on-signal';

const quiet = () =>
  createLogger({ service: 't', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

describe('closeOnSignal', () => {
  it('closes in order and exits 0', async () => {
    const order: string[] = [];
    const codes: number[] = [];
    const shutdown = closeOnSignal({
      logger: quiet(),
      signals: [],
      exit: (code) => codes.push(code),
      closables: ['rpc', 'bus', 'storage'].map((name) => ({
        name,
        close: async () => {
          await new Promise((r) => setTimeout(r, 5));
          order.push(name);
        },
      })),
    });
    await shutdown();
    await shutdown(); // idempotent
    expect(order).toEqual(['rpc', 'bus', 'storage']);
    expect(codes).toEqual([0]);
  });

  it('still closes the rest when one step fails, and exits 1', async () => {
    const closed: string[] = [];
    const codes: number[] = [];
    const shutdown = closeOnSignal({
      logger: quiet(),
      signals: [],
      exit: (code) => codes.push(code),
      closables: [
        { name: 'a', close: () => Promise.reject(new Error('boom')) },
        { name: 'b', close: async () => void closed.push('b') },
      ],
    });
    await shutdown();
    expect(closed).toEqual(['b']);
    expect(codes).toEqual([1]);
  });
});
