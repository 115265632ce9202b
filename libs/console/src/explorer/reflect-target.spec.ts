import { clone, create, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_timestamp,
} from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { reflectTarget } from './reflect-target';
import { treeFile } from './testing/tree-file';

/**
 * A server that serves only the older grpc.reflection.v1alpha, describing a
 * file that imports one file the server does not have (as an import that
 * only held options would be).
 */
async function startAlphaOnlyServer() {
  const tree = clone(FileDescriptorProtoSchema, treeFile);
  tree.dependency.push('explorer/test/v1/options.proto');
  const files = [file_google_protobuf_timestamp.proto, tree];
  const set = toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: files }));
  const loaded = protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(set));
  // As libs/rpc does: hand reflection the exact descriptors, not proto-loader's re-creations.
  const exact = files.map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f)));
  for (const entry of Object.values(loaded)) {
    if ('fileDescriptorProtos' in entry) entry.fileDescriptorProtos = exact;
  }
  const server = new grpc.Server();
  new ReflectionService(loaded).addToServer({
    addService(definition, implementation) {
      const paths = Object.values(definition).map((m) => m.path);
      if (paths.every((p) => p.startsWith('/grpc.reflection.v1alpha.'))) {
        server.addService(definition, implementation);
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { server, address: `127.0.0.1:${port}` };
}

describe('reflectTarget', () => {
  let server: grpc.Server;
  let client: grpc.Client;
  let address: string;

  beforeAll(async () => {
    ({ server, address } = await startAlphaOnlyServer());
    client = new grpc.Client(address, grpc.credentials.createInsecure());
  });
  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  it('falls back to v1alpha, and builds a registry without an import the server does not know', async () => {
    const reflected = await reflectTarget(
      { id: 'forest', kind: 'service', address },
      client,
      5_000,
      Date.now,
    );
    expect(reflected.services.map((s) => s.typeName)).toEqual(['explorer.test.v1.Forest']);
    expect(reflected.services[0]!.methods.map((m) => m.name)).toEqual(['Grow', 'Plant']);
    // Types from the imported well-known file, and the error details every target can send.
    expect(
      reflected.registry.getMessage('explorer.test.v1.Tree')?.field.plantedAt?.message?.typeName,
    ).toBe('google.protobuf.Timestamp');
    expect(reflected.registry.getMessage('google.rpc.ErrorInfo')).toBeDefined();
  });

  it('fails with the channel status when nothing listens', async () => {
    const nowhere = new grpc.Client('127.0.0.1:1', grpc.credentials.createInsecure());
    try {
      await expect(
        reflectTarget(
          { id: 'nowhere', kind: 'service', address: '127.0.0.1:1' },
          nowhere,
          5_000,
          Date.now,
        ),
      ).rejects.toMatchObject({ code: 14 /* UNAVAILABLE */ });
    } finally {
      nowhere.close();
    }
  });
});
