// A bench-only server for the gRPC stack overhead comparison, run as its own
// process (one per variant) so that the two never share an event loop:
//
//   rpc  InventoryService.GetProduct through libs/rpc's createRpcServer, with
//        its per-call wrapper (deadline and cancellation, access check,
//        decoding, error mapping, the log line) plus health and reflection;
//   raw  the same method on a bare @grpc/grpc-js server: the same protobuf-es
//        messages (de)serialized in grpc-js's own hooks, the same handler.
//
// Both answer the same canned product, so the difference is the stack alone.
// Usage: node grpc-overhead-server.cjs <rpc|raw> <port>; prints {"port":N}.
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { InventoryService } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { createRpcServer } from '@switchboard/rpc';
import { uniformAccess } from '@switchboard/rpc';

const getProduct = InventoryService.method.getProduct;
type Request = ReturnType<typeof fromBinary<typeof getProduct.input>>;
type Response = MessageInitShape<typeof getProduct.output>;

const MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

/** The handler both variants run: a canned answer, no I/O. */
async function answer(request: Request): Promise<Response> {
  return { product: { sku: request.sku, name: 'Widget', availableQuantity: 7 } };
}

async function serveRpc(port: number): Promise<() => Promise<void>> {
  const server = createRpcServer({
    // The services' default level: successful calls log at debug, so nothing is written per call.
    logger: createLogger({ service: 'bench-rpc', level: 'info' }),
    host: '127.0.0.1',
    port,
    maxReceiveBytes: MAX_RECEIVE_BYTES,
    shutdownGraceMs: 1_000,
  });
  server.addService(
    InventoryService,
    { getProduct: (request) => answer(request) },
    { access: uniformAccess(InventoryService, 'public') },
  );
  await server.start();
  return () => server.shutdown();
}

async function serveRaw(port: number): Promise<() => Promise<void>> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES });
  const definition: grpc.ServiceDefinition = {
    GetProduct: {
      path: `/${InventoryService.typeName}/${getProduct.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (message: Request) => Buffer.from(toBinary(getProduct.input, message)),
      requestDeserialize: (bytes: Buffer) => fromBinary(getProduct.input, bytes),
      responseSerialize: (init: Response) =>
        Buffer.from(toBinary(getProduct.output, create(getProduct.output, init))),
      responseDeserialize: (bytes: Buffer) => fromBinary(getProduct.output, bytes),
    },
  };
  const handle: grpc.handleUnaryCall<Request, Response> = (call, callback) => {
    answer(call.request).then(
      (response) => callback(null, response),
      (err: unknown) => callback({ code: grpc.status.INTERNAL, details: String(err) }),
    );
  };
  server.addService(definition, { GetProduct: handle });
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
}

async function main(): Promise<void> {
  const [variant, portText] = process.argv.slice(2);
  const port = Number(portText);
  if ((variant !== 'rpc' && variant !== 'raw') || !Number.isInteger(port) || port <= 0) {
    throw new Error('usage: grpc-overhead-server <rpc|raw> <port>');
  }
  const stop = variant === 'rpc' ? await serveRpc(port) : await serveRaw(port);
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // The bench holds an IPC channel: if it dies without stopping us, we go too.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', shutdown);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
