import { dirname, join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionError, type ReflectionSession } from './reflection-session';

export type ReflectionVersion = 'v1' | 'v1alpha';

// The reflection protocol's messages as @grpc/reflection ships them: the
// workspace generates no code for them, and proto-loader's (de)serializers
// are exactly what the servers' side of the stream uses.
interface ReflectionRequest {
  fileByFilename?: string;
  fileContainingSymbol?: string;
  listServices?: string;
}

interface ReflectionResponse {
  messageResponse?: 'fileDescriptorResponse' | 'listServicesResponse' | 'errorResponse' | string;
  fileDescriptorResponse?: { fileDescriptorProto?: Uint8Array[] };
  listServicesResponse?: { service?: { name?: string }[] };
  errorResponse?: { errorCode?: number; errorMessage?: string };
}

interface StreamMethod {
  path: string;
  requestSerialize: (value: ReflectionRequest) => Buffer;
  responseDeserialize: (bytes: Buffer) => ReflectionResponse;
}

const methods = new Map<ReflectionVersion, StreamMethod>();

function streamMethod(version: ReflectionVersion): StreamMethod {
  let method = methods.get(version);
  if (method === undefined) {
    const root = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto');
    const definition = protoLoader.loadSync(
      join(root, `grpc/reflection/${version}/reflection.proto`),
      { longs: String, enums: String, oneofs: true, defaults: false },
    );
    const service = definition[`grpc.reflection.${version}.ServerReflection`] as
      grpc.ServiceDefinition | undefined;
    const info = service?.ServerReflectionInfo;
    if (info === undefined)
      throw new Error(`@grpc/reflection ships no ${version} ServerReflection`);
    method = info as unknown as StreamMethod;
    methods.set(version, method);
  }
  return method;
}

interface Pending {
  resolve: (response: ReflectionResponse) => void;
  reject: (err: Error) => void;
}

/**
 * Opens a ServerReflectionInfo stream on `client`'s channel. The whole
 * session shares one deadline, so a server that stops answering cannot hold
 * a ListServices call longer than that.
 */
export function createReflectionSession(
  client: grpc.Client,
  version: ReflectionVersion,
  deadline: number,
): ReflectionSession {
  const method = streamMethod(version);
  const call = client.makeBidiStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    new grpc.Metadata(),
    { deadline },
  );
  const pending: Pending[] = [];
  let failure: Error | undefined;

  const fail = (err: Error) => {
    failure ??= err;
    for (const waiter of pending.splice(0)) waiter.reject(failure);
  };
  call.on('data', (response: ReflectionResponse) => {
    const waiter = pending.shift();
    waiter?.resolve(response);
  });
  // 'status' carries the outcome; 'error' repeats it, and must be listened to.
  call.on('error', () => undefined);
  call.on('status', (status: grpc.StatusObject) => {
    const code =
      status.code >= 1 && status.code <= 16 ? (status.code as number as Code) : Code.Unknown;
    fail(
      status.code === grpc.status.OK
        ? new ConnectError('the reflection stream ended before answering', Code.Internal)
        : new ConnectError(status.details, code),
    );
  });

  function ask(request: ReflectionRequest): Promise<ReflectionResponse> {
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise<ReflectionResponse>((resolve, reject) => {
      pending.push({ resolve, reject });
      call.write(request);
    }).then((response) => {
      if (response.messageResponse === 'errorResponse') {
        const { errorCode = grpc.status.UNKNOWN, errorMessage = '' } = response.errorResponse ?? {};
        throw new ReflectionError(errorCode, errorMessage);
      }
      return response;
    });
  }

  async function files(request: ReflectionRequest): Promise<Uint8Array[]> {
    const response = await ask(request);
    return response.fileDescriptorResponse?.fileDescriptorProto ?? [];
  }

  return {
    async listServices() {
      const response = await ask({ listServices: '*' });
      return (response.listServicesResponse?.service ?? []).flatMap((s) =>
        s.name === undefined ? [] : [s.name],
      );
    },
    fileContainingSymbol: (symbol) => files({ fileContainingSymbol: symbol }),
    fileByFilename: (filename) => files({ fileByFilename: filename }),
    end() {
      call.end();
    },
  };
}
