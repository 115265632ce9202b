import * as grpc from '@grpc/grpc-js';

export interface RawUnaryServer {
  readonly port: number;
  close(): void;
}

/**
 * A bare grpc-js server on loopback with one unary method at `path` that
 * hands each call to `onCall` and answers with an empty message: it sees a
 * call's bytes and metadata exactly as they left the client, with no
 * instrumentation of ours in between.
 */
export async function startRawUnaryServer(
  path: string,
  onCall: (call: grpc.ServerUnaryCall<Buffer, Buffer>) => void,
): Promise<RawUnaryServer> {
  const server = new grpc.Server();
  const raw = (b: Buffer) => b;
  server.addService(
    {
      Unary: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    {
      Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        onCall(call);
        done(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { port, close: () => server.forceShutdown() };
}
