import { uniformAccess } from './access-policy';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import { InventoryService, NotificationService } from '@switchboard/contracts';
import { within } from '@switchboard/timing/testing';
import { createGrpcJsTransport, type GrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient } from './create-service-client';
import { errorDetailsOf } from './error-details/error-details-of';
import { startTestServer, type TestServer } from './start-test-server';
import { failure } from './testing/failure';

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls for an effect the server side records; the test's own timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

interface DownstreamCall {
  deadline: Date | undefined;
  requestId: string;
  aborted: boolean;
}

describe('createGrpcJsTransport', () => {
  // downstream: a slow dependency that waits until its caller gives up.
  let downstream: TestServer;
  const downstreamCalls: DownstreamCall[] = [];
  /** Resolves when the server side of a Watch saw its call cancelled. */
  let watchCancelled: Promise<void> = Promise.resolve();
  /** Messages the Watch handler has handed to grpc-js so far. */
  let downstreamSent = 0;
  // front: a service whose handlers call downstream through the transport.
  let front: TestServer;
  let toDownstream: GrpcJsTransport;
  let toFront: GrpcJsTransport;
  let frontOutcome: { code?: Code; message?: string } | undefined;

  beforeAll(async () => {
    downstream = await startTestServer((server) => {
      server.addService(
        InventoryService,
        {
          async getProduct(request, ctx) {
            const call: DownstreamCall = {
              deadline: ctx.deadline,
              requestId: ctx.requestId,
              aborted: false,
            };
            downstreamCalls.push(call);
            if (request.sku === 'FAST') return { product: { sku: 'FAST', name: ctx.requestId } };
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 10_000);
              ctx.signal.addEventListener('abort', () => {
                call.aborted = true;
                clearTimeout(timer);
                resolve();
              });
            });
            return { product: { sku: request.sku } };
          },
        },
        { access: uniformAccess(InventoryService, 'public') },
      );
      server.addService(
        NotificationService,
        {
          // A burst of 100 notifications (none with x-quiet), then quiet until
          // the client goes away, like a real Watch with a backlog.
          async *watchNotifications(_request, ctx) {
            downstreamSent = 0;
            let cancelled!: () => void;
            watchCancelled = new Promise((resolve) => (cancelled = resolve));
            ctx.signal.addEventListener('abort', () => cancelled(), { once: true });
            for (let i = 0; i < 100 && ctx.header('x-quiet') !== 'yes'; i++) {
              yield { notification: { notificationId: `n-${i}` } };
              downstreamSent++;
            }
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
          },
        },
        { access: uniformAccess(NotificationService, 'public') },
      );
    });
    // A generous default, so that only the incoming deadline can be what cuts the call short.
    toDownstream = createGrpcJsTransport({ address: downstream.address, defaultTimeoutMs: 10_000 });
    const dependency = createServiceClient(InventoryService, toDownstream);

    front = await startTestServer((server) =>
      server.addService(
        InventoryService,
        {
          // Calls the slow dependency with no timeout of its own.
          async getProduct(request) {
            try {
              return await dependency.getProduct({ sku: request.sku });
            } catch (err) {
              frontOutcome = {
                code: err instanceof ConnectError ? err.code : undefined,
                message: err instanceof Error ? err.message : undefined,
              };
              throw err;
            }
          },
          // Wastes its whole budget first, then tries the dependency.
          async listProducts(request) {
            // In tens of ms: page_size may be at most 100.
            await sleep(request.pageSize * 10);
            try {
              await dependency.getProduct({ sku: 'FAST' });
              frontOutcome = {};
            } catch (err) {
              frontOutcome = {
                code: err instanceof ConnectError ? err.code : undefined,
                message: err instanceof Error ? err.message : undefined,
              };
            }
            return {};
          },
        },
        { access: uniformAccess(InventoryService, 'public') },
      ),
    );
    toFront = createGrpcJsTransport({ address: front.address });
  });

  const cleanups: (() => void)[] = [];
  beforeEach(() => {
    downstreamCalls.length = 0;
    frontOutcome = undefined;
  });
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  afterAll(async () => {
    toDownstream.close();
    toFront.close();
    await Promise.all([front.server.shutdown(), downstream.server.shutdown()]);
  });

  it('bounds a downstream call by the deadline of the incoming call', async () => {
    const client = createServiceClient(InventoryService, toFront);
    const sentAt = Date.now();
    const err = await failure(client.getProduct({ sku: 'SLOW' }, { timeoutMs: 300 }));
    expect(err.code).toBe(Code.DeadlineExceeded);

    // The handler saw its downstream call fail on the propagated deadline:
    // with the transport's 10 s default it would have been cancelled instead,
    // and the downstream call would carry a deadline 10 s out.
    await until(() => frontOutcome !== undefined);
    expect(frontOutcome?.code).toBe(Code.DeadlineExceeded);
    expect(downstreamCalls).toHaveLength(1);
    const call = downstreamCalls[0];
    expect(call?.deadline).toBeDefined();
    expect(call?.deadline?.getTime() ?? Infinity).toBeLessThan(sentAt + 5_000);
    await until(() => call?.aborted === true);
  });

  it('fails fast without calling when the incoming deadline has already passed', async () => {
    const client = createServiceClient(InventoryService, toFront);
    // The handler sleeps 250 ms of a 100 ms budget before calling downstream.
    await failure(client.listProducts({ pageSize: 25 }, { timeoutMs: 100 }));
    await until(() => frontOutcome !== undefined);
    // Refused by the transport itself (its own message), and nothing reached downstream.
    expect(frontOutcome?.code).toBe(Code.DeadlineExceeded);
    expect(frontOutcome?.message).toMatch(/deadline has passed/);
    expect(downstreamCalls).toHaveLength(0);
  });

  it('propagates the request id to downstream calls', async () => {
    const client = createServiceClient(InventoryService, toFront);
    const res = await client.getProduct(
      { sku: 'FAST' },
      { headers: { 'x-request-id': 'trace-42' } },
    );
    expect(res.product?.name).toBe('trace-42');
    expect(downstreamCalls[0]?.requestId).toBe('trace-42');
  });

  it('applies defaultTimeoutMs when the caller gives none, and the caller timeout otherwise', async () => {
    const transport = createGrpcJsTransport({ address: downstream.address, defaultTimeoutMs: 150 });
    cleanups.push(() => transport.close());
    const client = createServiceClient(InventoryService, transport);
    // Without a deadline the slow handler would answer after 10 s: an error
    // shows one applied. Only lower bounds on time are checked: a deadline
    // never fires early, but a busy machine may make it late.
    let started = Date.now();
    expect((await failure(client.getProduct({ sku: 'SLOW' }))).code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    started = Date.now();
    const err = await failure(client.getProduct({ sku: 'SLOW' }, { timeoutMs: 400 }));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390); // not the 150 ms default
  });

  it('cancels the call when the signal aborts', async () => {
    const client = createServiceClient(InventoryService, toDownstream);
    const controller = new AbortController();
    const call = client.getProduct({ sku: 'SLOW' }, { signal: controller.signal });
    await until(() => downstreamCalls.length === 1); // the server is handling it
    controller.abort();
    expect((await failure(call)).code).toBe(Code.Canceled);
    await until(() => downstreamCalls[0]?.aborted === true);
  });

  describe('a server stream the caller aborts', () => {
    /** Reads the Watch until it ends, aborting with `reason` once `abortAfter` messages are in. */
    async function readAndAbort(headers: Record<string, string>, abortAfter: number) {
      const client = createServiceClient(NotificationService, toDownstream);
      const controller = new AbortController();
      const reason = new ConnectError('the reader went away', Code.Canceled);
      const beforeAbort: string[] = [];
      const afterAbort: string[] = [];
      const reading = (async () => {
        if (abortAfter === 0) setImmediate(() => controller.abort(reason));
        for await (const message of client.watchNotifications(
          {},
          { signal: controller.signal, headers },
        )) {
          const id = message.notification?.notificationId ?? '';
          (controller.signal.aborted ? afterAbort : beforeAbort).push(id);
          if (beforeAbort.length === abortAfter && !controller.signal.aborted) {
            // Late enough that the rest of a burst has arrived and waits in the buffers.
            await until(() => downstreamSent >= 100);
            controller.abort(reason);
          }
        }
        return 'ended without an error';
      })();
      const outcome = await within(
        10_000,
        reading.catch((err: unknown) => err),
      );
      return { outcome, beforeAbort, afterAbort };
    }

    it('ends a quiet stream at once with the reason it was aborted with', async () => {
      const { outcome, beforeAbort } = await readAndAbort({ 'x-quiet': 'yes' }, 0);
      expect(beforeAbort).toEqual([]);
      expect(outcome).toBeInstanceOf(ConnectError);
      // The caller's reason, not grpc-js's "Cancelled on client".
      expect((outcome as ConnectError).code).toBe(Code.Canceled);
      expect((outcome as ConnectError).rawMessage).toBe('the reader went away');
      // The service saw the cancellation: nothing is left running upstream.
      expect(await within(10_000, watchCancelled)).toBeUndefined();
    });

    it('yields nothing more after the abort, however much is buffered', async () => {
      const { outcome, beforeAbort, afterAbort } = await readAndAbort({}, 1);
      expect(beforeAbort).toEqual(['n-0']);
      expect(afterAbort).toEqual([]);
      expect(outcome).toBeInstanceOf(ConnectError);
      expect((outcome as ConnectError).rawMessage).toBe('the reader went away');
      expect(await within(10_000, watchCancelled)).toBeUndefined();
    });
  });

  it('maps "nothing listens" to UNAVAILABLE', async () => {
    const transport = createGrpcJsTransport({ address: `127.0.0.1:${await closedPort()}` });
    cleanups.push(() => transport.close());
    const err = await failure(createServiceClient(InventoryService, transport).getProduct({}));
    expect(err.code).toBe(Code.Unavailable);
  });

  it('exposes response headers and trailers', async () => {
    const client = createServiceClient(InventoryService, toDownstream);
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    await client.getProduct(
      { sku: 'FAST' },
      { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    );
    expect(header?.get('content-type')).toBe('application/grpc+proto');
    expect(trailer).toBeInstanceOf(Headers);
    // Failure trailers travel on the error, its details decoded.
    const err = await failure(client.reserveStock({}));
    expect(err.metadata.has('grpc-status-details-bin')).toBe(true);
    expect(errorDetailsOf(err).reason).toBe('NOT_IMPLEMENTED');
  });
});
