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

  it('takes a record of closables and closes them in key order', async () => {
    const order: string[] = [];
    const codes: number[] = [];
    const closer = (name: string) => ({
      async close() {
        await new Promise((r) => setTimeout(r, 5));
        order.push(name);
      },
    });
    const logs: string[] = [];
    const logger = createLogger({
      service: 't',
      destination: new Writable({
        write: (chunk, _e, cb) => {
          logs.push(String(chunk));
          cb();
        },
      }),
    });
    const shutdown = closeOnSignal({
      logger,
      signals: [],
      exit: (code) => codes.push(code),
      closables: {
        'rpc server': closer('server'),
        orders: closer('module'),
        'event bus': closer('bus'),
        storage: closer('storage'),
      },
    });
    await shutdown();
    expect(order).toEqual(['server', 'module', 'bus', 'storage']);
    expect(codes).toEqual([0]);
    const steps = logs
      .map((line) => JSON.parse(line) as { step?: string })
      .flatMap((l) => l.step ?? []);
    expect(steps).toEqual(['rpc server', 'orders', 'event bus', 'storage']);
  });
});
