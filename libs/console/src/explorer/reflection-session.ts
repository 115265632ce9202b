/**
 * One conversation with a server's reflection service (grpc.reflection.v1's
 * ServerReflectionInfo stream): questions go out in order and each answer
 * comes back in the same order.
 */
export interface ReflectionSession {
  /** The full names of the services the server serves. */
  listServices(): Promise<string[]>;
  /** The serialized FileDescriptorProtos of the file that declares `symbol`, then its imports. */
  fileContainingSymbol(symbol: string): Promise<Uint8Array[]>;
  /** The serialized FileDescriptorProtos of the named file, then its imports. */
  fileByFilename(filename: string): Promise<Uint8Array[]>;
  /** Half-closes the stream; questions still pending are answered or fail. */
  end(): void;
}

/** What the reflection service itself answered as an ErrorResponse (e.g. NOT_FOUND for a name it does not know). */
export class ReflectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ReflectionError';
  }
}
