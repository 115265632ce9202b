import { createConnectionLock } from './create-connection-lock';

describe('createConnectionLock', () => {
  it('grants the lock in arrival order, one holder at a time', async () => {
    const lock = createConnectionLock();
    const order: number[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        await lock.acquire();
        inside++;
        maxInside = Math.max(maxInside, inside);
        order.push(i);
        await new Promise((r) => setTimeout(r, 2));
        inside--;
        lock.release();
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(maxInside).toBe(1);
    expect(lock.held).toBe(false);
  });

  it('hands the lock straight to the next waiter on release', async () => {
    const lock = createConnectionLock();
    await lock.acquire();
    let second = false;
    const next = lock.acquire().then(() => (second = true));
    expect(lock.waiting).toBe(1);
    lock.release();
    expect(lock.held).toBe(true); // never free in between: no newcomer can jump the queue
    await next;
    expect(second).toBe(true);
    lock.release();
    expect(lock.held).toBe(false);
  });

  it('refuses to release a lock nobody holds', () => {
    expect(() => createConnectionLock().release()).toThrow('not held');
  });
});
