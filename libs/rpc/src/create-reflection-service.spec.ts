import { uniformAccess } from './access-policy';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InventoryService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { startTestServer, type TestServer } from './start-test-server';

const run = promisify(execFile);

/** ~/go/bin/grpcurl, else grpcurl on PATH, else undefined. */
function findGrpcurl(): string | undefined {
  const local = join(homedir(), 'go', 'bin', 'grpcurl');
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'grpcurl'))) return join(dir, 'grpcurl');
  }
  return undefined;
}

const grpcurl = findGrpcurl();
if (grpcurl === undefined) {
  console.warn('grpcurl not found in ~/go/bin or on PATH: skipping the server reflection test');
}
const itWithGrpcurl = grpcurl === undefined ? it.skip : it;

describe('server reflection', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer((server) =>
      server.addService(
        InventoryService,
        {
          async getProduct(request) {
            if (request.sku === 'MISSING') {
              throw new DomainError('PRODUCT_NOT_FOUND', 'product MISSING not found', {
                details: { sku: request.sku },
              });
            }
            return {
              product: {
                sku: request.sku,
                name: 'Widget',
                unitPrice: { currencyCode: 'EUR', amountMinor: 1999n },
              },
            };
          },
        },
        { access: uniformAccess(InventoryService, 'public') },
      ),
    );
  });

  afterAll(() => t.server.shutdown());

  // execFile is asynchronous on purpose: a synchronous child would block the
  // event loop that the server under test needs to answer it.
  const call = async (...args: string[]) =>
    (await run(grpcurl ?? 'grpcurl', ['-plaintext', ...args], { timeout: 20_000 })).stdout;

  itWithGrpcurl('lets grpcurl list, describe and call with no .proto files', async () => {
    const listed = (await call(t.address, 'list')).trim().split('\n').sort();
    expect(listed).toEqual([
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'switchboard.inventory.v1.InventoryService',
    ]);

    const service = await call(t.address, 'describe', 'switchboard.inventory.v1.InventoryService');
    // With descriptor.proto among the files (buf.validate imports it), grpcurl prints options too.
    expect(service).toContain(
      'rpc CheckAvailability ( .switchboard.inventory.v1.CheckAvailabilityRequest ) returns ( .switchboard.inventory.v1.CheckAvailabilityResponse );',
    );
    // Method options travel too: a read marked for Connect GET says so.
    expect(service).toMatch(
      /rpc GetProduct \( \.switchboard\.inventory\.v1\.GetProductRequest \) returns \( \.switchboard\.inventory\.v1\.GetProductResponse \) \{\s+option idempotency_level = NO_SIDE_EFFECTS;/,
    );
    // A type from another file, through an import.
    const product = await call(t.address, 'describe', 'switchboard.inventory.v1.Product');
    expect(product).toContain('.switchboard.common.v1.Money unit_price = 3;');

    const answer = await call(
      '-d',
      '{"sku":"P-7"}',
      t.address,
      'switchboard.inventory.v1.InventoryService/GetProduct',
    );
    expect(JSON.parse(answer)).toEqual({
      product: {
        sku: 'P-7',
        name: 'Widget',
        unitPrice: { currencyCode: 'EUR', amountMinor: '1999' },
      },
    });

    const health = await call(t.address, 'grpc.health.v1.Health/Check');
    expect(JSON.parse(health)).toEqual({ status: 'SERVING' });
  });

  itWithGrpcurl('lets grpcurl -v print the error details of a failed call', async () => {
    const failed = await run(
      grpcurl ?? 'grpcurl',
      [
        '-plaintext',
        '-v',
        '-d',
        '{"sku":"MISSING"}',
        t.address,
        'switchboard.inventory.v1.InventoryService/GetProduct',
      ],
      { timeout: 20_000 },
    ).then(
      () => undefined,
      (err: { stdout: string; stderr: string }) => err.stdout + err.stderr,
    );
    expect(failed).toContain('Code: NotFound');
    expect(failed).toContain('Message: product MISSING not found');
    expect(failed).toContain('"@type": "type.googleapis.com/google.rpc.ErrorInfo"');
    expect(failed).toContain('"reason": "PRODUCT_NOT_FOUND"');
    expect(failed).toContain('"domain": "switchboard"');
    expect(failed).toContain('"sku": "MISSING"');
  });
});
