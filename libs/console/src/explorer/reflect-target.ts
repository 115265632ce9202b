import { clone, create, createFileRegistry, createRegistry, fromBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import type * as grpc from '@grpc/grpc-js';
import { file_google_rpc_error_details, file_google_rpc_status } from '@switchboard/contracts';
import type { ConsoleTarget } from '../console-target';
import { createReflectionSession, type ReflectionVersion } from './create-reflection-session';
import type { ReflectedTarget } from './reflected-target';
import { ReflectionError, type ReflectionSession } from './reflection-session';

/** Infrastructure every server carries: not what a user explores. */
const HIDDEN_SERVICE = /^grpc\.(health|reflection)\./;
const NOT_FOUND = 5;

// Failed calls carry these in grpc-status-details-bin; a service's own files
// need not import them, and the explorer decodes them all the same.
const errorDetails = createRegistry(file_google_rpc_error_details, file_google_rpc_status);

/**
 * Asks a target for its services and the files that declare them, then for
 * any import the server did not send along (@grpc/reflection sends only the
 * imports that declare a referenced type, not e.g. option definitions), and
 * builds a registry. An import the server does not know is left out of the
 * file's import list: it can only have held options or extensions, which
 * protobuf-es keeps as unknown fields.
 */
export async function reflectTarget(
  target: ConsoleTarget,
  client: grpc.Client,
  timeoutMs: number,
  now: () => number,
): Promise<ReflectedTarget> {
  try {
    return await reflectWith(target, client, 'v1', now() + timeoutMs);
  } catch (err) {
    // Servers older than grpc.reflection.v1 serve only the alpha version.
    if (!(err instanceof ConnectError) || err.code !== Code.Unimplemented) throw err;
    return reflectWith(target, client, 'v1alpha', now() + timeoutMs);
  }
}

async function reflectWith(
  target: ConsoleTarget,
  client: grpc.Client,
  version: ReflectionVersion,
  deadline: number,
): Promise<ReflectedTarget> {
  const session = createReflectionSession(client, version, deadline);
  try {
    const names = (await session.listServices()).filter((name) => !HIDDEN_SERVICE.test(name));
    const files = new Map<string, FileDescriptorProto>();
    const add = (blobs: Uint8Array[]) => {
      for (const blob of blobs) {
        const file = fromBinary(FileDescriptorProtoSchema, blob);
        if (!files.has(file.name)) files.set(file.name, file);
      }
    };
    for (const name of names) add(await session.fileContainingSymbol(name));
    await fetchMissingImports(session, files, add);

    const registry = createFileRegistry(
      create(FileDescriptorSetSchema, { file: importsFirst(files) }),
    );
    const services = names.flatMap((name) => {
      const service = registry.getService(name);
      return service === undefined ? [] : [service];
    });
    return { target, services, registry: createRegistry(registry, errorDetails) };
  } finally {
    session.end();
  }
}

async function fetchMissingImports(
  session: ReflectionSession,
  files: Map<string, FileDescriptorProto>,
  add: (blobs: Uint8Array[]) => void,
): Promise<void> {
  const unknown = new Set<string>();
  for (;;) {
    const missing = [...files.values()]
      .flatMap((file) => file.dependency)
      .find((name) => !files.has(name) && !unknown.has(name));
    if (missing === undefined) return;
    try {
      add(await session.fileByFilename(missing));
    } catch (err) {
      if (!(err instanceof ReflectionError) || err.code !== NOT_FOUND) throw err;
    }
    if (!files.has(missing)) unknown.add(missing);
  }
}

/** Every file after its imports, as a FileDescriptorSet must list them; unknown imports dropped. */
function importsFirst(files: Map<string, FileDescriptorProto>): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const visited = new Set<string>();
  const visit = (file: FileDescriptorProto) => {
    if (visited.has(file.name)) return;
    visited.add(file.name);
    const known = file.dependency.filter((name) => files.has(name));
    for (const name of known) visit(files.get(name)!);
    if (known.length === file.dependency.length) {
      ordered.push(file);
      return;
    }
    // Without the import, its index lists (public, weak) no longer line up: drop them too.
    const trimmed = clone(FileDescriptorProtoSchema, file);
    trimmed.dependency = known;
    trimmed.publicDependency = [];
    trimmed.weakDependency = [];
    ordered.push(trimmed);
  };
  for (const file of files.values()) visit(file);
  return ordered;
}
