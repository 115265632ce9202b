import type { ConnectError } from '@connectrpc/connect';
import { InventoryService, inventoryAccessPolicy } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { errorDetailsOf, type CallContext } from '@switchboard/rpc';
import type { EdgeCall, Upstreams } from './create-upstreams';
import { startUpstreamStandIn, type UpstreamStandIn } from './testing/start-upstream-stand-in';

/**
 * What the edge passes on, seen by a gRPC server on a real socket: a stand-in
 * inventory that records the call context of GetProduct (the real services
 * do not echo their metadata back).
 */
describe('the upstream call the edge makes', () => {
  let standIn: UpstreamStandIn;
  let upstreams: Upstreams;
  const seen: CallContext[] = [];

  beforeAll(async () => {
    standIn = await startUpstreamStandIn((server) =>
      server.addService(
        InventoryService,
        {
          async getProduct(request, ctx) {
            seen.push(ctx);
            if (request.sku === 'MISSING') {
              throw new DomainError('PRODUCT_NOT_FOUND', `product ${request.sku} not found`, {
                details: { sku: request.sku },
              });
            }
            return { product: { sku: request.sku, name: 'Stand-in' } };
          },
        },
        { access: inventoryAccessPolicy },
      ),
    );
    upstreams = standIn.upstreams;
  });

  afterAll(() => standIn?.close());

  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  function call(headers: Record<string, string>, timeoutMs?: number): EdgeCall {
    return {
      headers: new Headers(headers),
      timeoutMs,
      signal: new AbortController().signal,
      requestId: 'edge-req-1',
      clientAddress: '192.0.2.1',
    };
  }

  it('passes the token, idempotency key, request id, deadline, trace context and client address, and nothing else', async () => {
    const before = Date.now();
    const response = await upstreams.unary(
      InventoryService.method.getProduct,
      { sku: 'LAMP' },
      call(
        {
          authorization: 'Bearer customer-token',
          'idempotency-key': 'key-1',
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
          cookie: 'session=secret',
          'x-forwarded-for': '203.0.113.9',
        },
        1_500,
      ),
    );
    expect(response).toMatchObject({ product: { sku: 'LAMP' } });
    const ctx = seen.at(-1)!;
    expect(ctx.caller?.userId).toBe('u-1');
    expect(ctx.header('idempotency-key')).toBe('key-1');
    expect(ctx.requestId).toBe('edge-req-1');
    // The same trace: the edge's own span (when telemetry runs) is the parent.
    expect(ctx.header('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(ctx.header('cookie')).toBeUndefined();
    // The client's own claim is dropped; the address the edge saw is what it vouches for.
    expect(ctx.header('x-forwarded-for')).toBe('192.0.2.1');
    const deadline = ctx.deadline!.getTime();
    expect(deadline).toBeGreaterThan(before);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 1_500);
  });

  it("caps a client's deadline at the edge's default", async () => {
    await upstreams.unary(
      InventoryService.method.getProduct,
      { sku: 'LAMP' },
      call({ authorization: 'Bearer customer-token' }, 600_000),
    );
    expect(seen.at(-1)!.deadline!.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it("keeps the service's error code and details, and routes no internal method", async () => {
    const err = await upstreams
      .unary(
        InventoryService.method.getProduct,
        { sku: 'MISSING' },
        call({ authorization: 'Bearer customer-token' }),
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 5 });
    expect(errorDetailsOf(err as ConnectError)).toMatchObject({
      reason: 'PRODUCT_NOT_FOUND',
      metadata: { sku: 'MISSING' },
    });
    const services = upstreams.services.flatMap((s) => s.methods.map((m) => m.name));
    expect(services).toContain('GetProduct');
    expect(services).not.toContain('ReserveStock');
    expect(services).not.toContain('VerifyToken');
    expect(services).toContain('ListSigningKeys'); // admin: passed through, the service checks
  });
});
