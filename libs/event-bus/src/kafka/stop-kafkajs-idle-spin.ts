/** The part of kafkajs's internal RequestQueue (one per broker connection) this patch touches. */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own retry step for a queue whose throttle has (almost) ended. */
const RECHECK_MS = 10;

let installed = false;

/**
 * kafkajs 2.2.4 (the last release) re-arms a "check pending requests" timer
 * after every check, even with nothing pending and nothing throttled; the
 * delay is then negative, so it fires after 1 ms, checks, and re-arms. Every
 * broker connection a process ever used spins like that: about a thousand
 * wake-ups a second each, most of an idle service's CPU.
 *
 * The check only ever sends requests that are waiting in `pending`, and
 * kafkajs already checks again when a request is queued (push) and when one
 * completes, so a timer is needed only while something waits: at the end of
 * a throttle, or shortly when the throttle is already over. Replacing the one
 * method keeps kafkajs's behaviour under throttling and drops the idle loop.
 */
export function stopKafkajsIdleSpin(): void {
  if (installed) return;
  installed = true;
  // Internal module, untyped: kafkajs has no option for this.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs exports no path to its RequestQueue and ships no types for it, so `import` cannot name it
  const RequestQueue = require('kafkajs/src/network/requestQueue') as {
    prototype: RequestQueueInternals;
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : RECHECK_MS,
    );
  };
}
