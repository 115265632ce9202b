// Client-side load balancing over real sockets: two replicas on loopback,
// one client whose <SERVICE>_ADDR lists both, as a headless Service's DNS
// answer would. Calls must reach both; a stopped replica must be routed
// around without the caller seeing an error.
import { InventoryService } from '@switchboard/contracts';
import { uniformAccess } from './access-policy';
import { createGrpcJsTransport, type GrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient } from './create-service-client';
import { startTestServer, type TestServer } from './start-test-server';

/** A replica that answers GetProduct with its own name, so the caller sees who served it. */
function startReplica(name: string): Promise<TestServer> {
  return startTestServer((server) =>
    server.addService(
      InventoryService,
      { getProduct: async (request) => ({ product: { sku: request.sku, name } }) },
      { access: uniformAccess(InventoryService, 'public') },
    ),
  );
}

describe('client-side load balancing (round_robin)', () => {
  let a: TestServer;
  let b: TestServer;
  let transport: GrpcJsTransport;

  beforeAll(async () => {
    [a, b] = await Promise.all([startReplica('a'), startReplica('b')]);
    transport = createGrpcJsTransport({ address: `${a.address},${b.address}` });
  });

  afterAll(async () => {
    transport.close();
    await Promise.all([a.server.shutdown(), b.server.shutdown()]);
  });

  async function callMany(count: number): Promise<Record<string, number>> {
    const client = createServiceClient(InventoryService, transport);
    const served: Record<string, number> = {};
    for (let i = 0; i < count; i += 1) {
      const { product } = await client.getProduct({ sku: `SKU-${i}` });
      const name = product?.name ?? '?';
      served[name] = (served[name] ?? 0) + 1;
    }
    return served;
  }

  it('spreads the calls of one client over both replicas', async () => {
    // The first calls may all go to whichever replica connected first; once
    // both are connected, round_robin alternates.
    await callMany(4);
    const served = await callMany(20);
    expect(served.a).toBeGreaterThanOrEqual(8);
    expect(served.b).toBeGreaterThanOrEqual(8);
  });

  it('routes around a stopped replica: every call succeeds, on the other', async () => {
    await b.server.shutdown();
    const served = await callMany(20);
    expect(served).toEqual({ a: 20 });
  });
});
