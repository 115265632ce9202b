import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { trace } from '@opentelemetry/api';
import { InvokeRequestSchema } from '@switchboard/contracts';
import { invokeMethod, methodToCall, parseRequest } from './invoke-method';
import type { FoundService } from './service-catalog';
import { treeRegistry } from './testing/tree-file';

const forest = treeRegistry.getService('explorer.test.v1.Forest')!;
const found: FoundService = {
  service: forest,
  reflected: {
    target: { id: 'forest', kind: 'service', address: '127.0.0.1:1' },
    services: [forest],
    registry: treeRegistry,
  },
};
const request = (method: string, requestJson = '') =>
  create(InvokeRequestSchema, { service: 'explorer.test.v1.Forest', method, requestJson });

function codeOf(call: () => unknown): Code | undefined {
  try {
    call();
    return undefined;
  } catch (err) {
    return err instanceof ConnectError ? err.code : undefined;
  }
}

describe('what Invoke refuses before calling anything', () => {
  it('a client-streaming method: UNIMPLEMENTED, saying why', () => {
    expect(codeOf(() => methodToCall(found, request('Plant'), []))).toBe(Code.Unimplemented);
    expect(() => methodToCall(found, request('Plant'), [])).toThrow(/client-streaming/);
  });

  it('an unknown method: NOT_FOUND, naming the methods there are', () => {
    expect(() => methodToCall(found, request('Fell'), [])).toThrow(
      /has no method Fell; it has Grow, Plant/,
    );
    expect(codeOf(() => methodToCall(found, request('Fell'), []))).toBe(Code.NotFound);
  });

  it('JSON that is not the input message: INVALID_ARGUMENT', () => {
    const grow = methodToCall(found, request('Grow'), []);
    expect(codeOf(() => parseRequest(grow, found, '{"kind": "KIND_TREE"}'))).toBe(
      Code.InvalidArgument,
    );
    expect(codeOf(() => parseRequest(grow, found, '[1, 2]'))).toBe(Code.InvalidArgument);
    // Empty means {}.
    expect(parseRequest(grow, found, '  ')).toMatchObject({ $typeName: 'explorer.test.v1.Tree' });
  });

  it('streams nothing but the status when the call fails, with the trace id on it', async () => {
    const grow = methodToCall(found, request('Grow'), []);
    const failing = {
      unary: () => Promise.reject(new ConnectError('no')),
      stream: () => Promise.reject(new ConnectError('the forest is closed', Code.Unavailable)),
    };
    const responses = [];
    for await (const response of invokeMethod(found, grow, parseRequest(grow, found, '{}'), '', {
      signal: new AbortController().signal,
      transport: failing,
      tracer: trace.getTracer('spec'),
      callTimeoutMs: 1_000,
    })) {
      responses.push(response);
    }
    expect(responses).toHaveLength(1);
    expect(responses[0]!.result).toMatchObject({
      case: 'status',
      value: {
        code: 14,
        codeName: 'UNAVAILABLE',
        message: 'the forest is closed',
        detailsJson: [],
      },
    });
    // No SDK in this process: there is no trace to link to.
    expect(responses[0]!.traceId).toBe('');
  });
});
