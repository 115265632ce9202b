import { ConnectError } from '@connectrpc/connect';
import { NotificationService, notificationAccessPolicy } from '@switchboard/contracts';
import { within } from '@switchboard/timing/testing';
import type { Upstreams } from './create-upstreams';
import { startUpstreamStandIn, type UpstreamStandIn } from './testing/start-upstream-stand-in';

/**
 * The edge's end of a server stream when its client goes away or the edge
 * shuts down: the abort alone must end the loop (SSE, Connect and gRPC-Web
 * all read through upstreams.stream), and the service must see the cancel.
 * A stand-in notification service on a real socket holds the Watch open.
 */
describe('an upstream stream the edge aborts', () => {
  let standIn: UpstreamStandIn;
  let upstreams: Upstreams;
  let cancelled: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    standIn = await startUpstreamStandIn((server) =>
      server.addService(
        NotificationService,
        {
          // One notification, then quiet until the edge goes away.
          async *watchNotifications(_request, ctx) {
            let seen!: () => void;
            cancelled = new Promise((resolve) => (seen = resolve));
            ctx.signal.addEventListener('abort', () => seen(), { once: true });
            yield { notification: { notificationId: 'n-1' } };
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
          },
        },
        { access: notificationAccessPolicy },
      ),
    );
    upstreams = standIn.upstreams;
  });

  afterAll(() => standIn?.close());

  it('ends the loop at once on abort, and the service sees the cancel', async () => {
    const abort = new AbortController();
    const messages = await upstreams.stream(
      NotificationService.method.watchNotifications,
      {},
      {
        headers: new Headers({ authorization: 'Bearer customer-token' }),
        timeoutMs: undefined,
        signal: abort.signal,
        requestId: 'edge-stream-1',
        clientAddress: '192.0.2.1',
      },
    );
    const received: unknown[] = [];
    const reading = (async () => {
      for await (const message of messages) {
        received.push(message);
        // The edge's reasons: a client gone, or shutdown.
        setImmediate(() => abort.abort(new ConnectError('the edge is shutting down')));
      }
      return 'ended without an error';
    })();
    const outcome = await within(
      2_000,
      reading.catch((err: unknown) => err),
    );
    expect(received).toHaveLength(1);
    // Ended by the abort (as a ConnectError the handlers know), not by the server or a timer.
    expect(outcome).toBeInstanceOf(ConnectError);
    expect(await within(2_000, cancelled)).toBeUndefined();
  });
});
