import { Writable } from 'node:stream';
import { ConnectError } from '@connectrpc/connect';
import { NotificationService, notificationAccessPolicy } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { createLogger } from '@switchboard/logger';
import { createRpcServer, type RpcServer } from '@switchboard/rpc';
import { createRateLimiter } from './create-rate-limiter';
import { createUpstreams, type Upstreams } from './create-upstreams';

/** Settles with what `work` settled with, or 'still waiting' if it has not after `ms`. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still waiting'>((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The edge's end of a server stream when its client goes away or the edge
 * shuts down: the abort alone must end the loop (SSE, Connect and gRPC-Web
 * all read through upstreams.stream), and the service must see the cancel.
 * A stand-in notification service on a real socket holds the Watch open.
 */
describe('an upstream stream the edge aborts', () => {
  let server: RpcServer;
  let upstreams: Upstreams;
  let cancelled: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    server = createRpcServer({
      logger: createLogger({
        service: 'edge-stream-test',
        level: 'silent',
        destination: new Writable({ write: (_c, _e, done) => done() }),
      }),
      host: '127.0.0.1',
      port: 0,
      maxReceiveBytes: 64 * 1024,
      shutdownGraceMs: 1000,
      authenticate: async (token) => {
        if (token === 'customer-token') return { userId: 'u-1', roles: ['customer'] };
        throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
      },
    });
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
    );
    const address = `127.0.0.1:${await server.start()}`;
    upstreams = createUpstreams({
      addresses: {
        auth: address,
        inventory: address,
        order: address,
        post: address,
        notification: address,
      },
      defaultTimeoutMs: 5_000,
      streamMaxMs: 60_000,
      authLimiter: createRateLimiter({ burst: 100, refillEveryMs: 1000 }),
    });
  });

  afterAll(async () => {
    upstreams?.close();
    await server?.shutdown();
  });

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
