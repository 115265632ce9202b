import { createManualClock } from '@switchboard/timing';
import { createReservationSweeper } from './create-reservation-sweeper';
import { silentLogger } from './start-inventory-test-server';

describe('createReservationSweeper', () => {
  it('sweeps on every tick, keeps going after a failure, and stops on close', async () => {
    const clock = createManualClock();
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
    const sweeper = createReservationSweeper({
      ledger,
      intervalMs: 20,
      logger: silentLogger(),
      clock,
    });
    sweeper.start();
    sweeper.start(); // a second start must not start a second loop
    await clock.advance(19);
    expect(calls).toBe(0);
    await clock.advance(1);
    expect(calls).toBe(1); // the failure
    await clock.advance(20);
    expect(calls).toBe(2); // the loop went on
    await clock.advance(40);
    expect(calls).toBe(4);
    expect(answers).toEqual([]);
    await sweeper.close();
    expect(clock.pending).toBe(0);
    await clock.advance(1_000);
    expect(calls).toBe(4);
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

  it('close waits for the sweep in progress, which stops after its batch', async () => {
    const clock = createManualClock();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const ledger = {
      async expireDue() {
        calls++;
        await held;
        return 100; // a full batch: only close() ends this sweep
      },
    };
    const sweeper = createReservationSweeper({
      ledger,
      intervalMs: 1,
      logger: silentLogger(),
      clock,
    });
    sweeper.start();
    await clock.advance(1);
    expect(calls).toBe(1);
    let closed = false;
    const closing = sweeper.close().then(() => (closed = true));
    await clock.advance(0);
    expect(closed).toBe(false);
    release();
    await closing;
    expect(calls).toBe(1);
  });
});
