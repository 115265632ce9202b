import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { create, toBinary, type DescFile } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** Every file and its imports, imports first, each once. */
function collectFiles(files: readonly DescFile[]): FileDescriptorProto[] {
  const visited = new Set<string>();
  const ordered: FileDescriptorProto[] = [];
  const visit = (file: DescFile) => {
    if (visited.has(file.proto.name)) return;
    visited.add(file.proto.name);
    file.dependencies.forEach(visit);
    ordered.push(file.proto);
  };
  files.forEach(visit);
  return ordered;
}

/** The reflection protocol's own .proto files, shipped inside @grpc/reflection. */
function reflectionProtoFiles(): string[] {
  // A container image's bundle inlines @grpc/reflection and carries these files in proto/
  // next to itself (tools/images/build-bundles.mjs); elsewhere they are in node_modules.
  const bundled = join(__dirname, 'proto');
  const root = existsSync(join(bundled, 'grpc/reflection/v1/reflection.proto'))
    ? bundled
    : join(dirname(require.resolve('@grpc/reflection')), '..', 'proto');
  return [
    join(root, 'grpc/reflection/v1/reflection.proto'),
    join(root, 'grpc/reflection/v1alpha/reflection.proto'),
  ];
}

/**
 * Server reflection for the given files, built from the descriptors embedded
 * in the protobuf-es code, so tools like grpcurl need no .proto files.
 */
export function createReflectionService(files: readonly DescFile[]): ReflectionService {
  const protos = collectFiles(files);
  const set = toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: protos }));
  const loaded = protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(set));

  // proto-loader re-creates each file through protobufjs, which drops the
  // import list and shortens type names ("common.v1.Money"), so grpcurl could
  // not resolve cross-file types. The reflection service only reads
  // fileDescriptorProtos, so hand it the exact descriptors the code embeds.
  const original = protos.map((proto) => Buffer.from(toBinary(FileDescriptorProtoSchema, proto)));
  for (const entry of Object.values(loaded)) {
    if ('fileDescriptorProtos' in entry) entry.fileDescriptorProtos = original;
  }

  // The reflection service lists itself, as other gRPC servers do; its files
  // have no imports, so proto-loader's copies of them are faithful enough.
  const self = protoLoader.loadSync(reflectionProtoFiles());
  return new ReflectionService({ ...self, ...loaded });
}
