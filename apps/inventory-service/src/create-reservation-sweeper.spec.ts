import { setTimeout as sleep } from 'node:timers/promises';
import { createReservationSweeper } from './create-reservation-sweeper';
import { silentLogger } from './start-inventory-test-server';

describe('createReservationSweeper', () => {
  it('sweeps on every tick, keeps going after a failure, and stops on close', async () => {
    const answers: (number | Error)[] = [new Error('database restarting'), 2, 0];
    let calls = 0;
    const ledger = {
      async expireDue() {
        calls++;
        const next = answers.shift() ?? 0;
        if (next instanceof Error) throw next;
        return next;
      },
    };
    const sweeper = createReservationSweeper({ ledger, intervalMs: 20, logger: silentLogger() });
    sweeper.start();
    sweeper.start(); // a second start must not start a second loop
    await sleep(200);
    await sweeper.close();
    expect(answers).toEqual([]); // the failure did not end the loop
    const atClose = calls;
    expect(atClose).toBeGreaterThanOrEqual(4);
    expect(atClose).toBeLessThan(15);
    await sleep(100);
    expect(calls).toBe(atClose);
  });

  it('works off a backlog in batches within one sweep', async () => {
    const due = [5, 5, 5, 2];
    const ledger = { expireDue: async (limit?: number) => Math.min(due.shift() ?? 0, limit ?? 0) };
    const sweeper = createReservationSweeper({
      ledger,
      intervalMs: 60_000,
      logger: silentLogger(),
      batchSize: 5,
    });
    expect(await sweeper.sweep()).toBe(17);
    expect(due).toEqual([]);
    await sweeper.close();
  });

  it('close waits for the sweep in progress', async () => {
    let finished = false;
    const ledger = {
      async expireDue() {
        await sleep(100);
        finished = true;
        return 0;
      },
    };
    const sweeper = createReservationSweeper({ ledger, intervalMs: 1, logger: silentLogger() });
    sweeper.start();
    await sleep(20);
    await sweeper.close();
    expect(finished).toBe(true);
  });
});
