// A child process of the bench that runs one autocannon load and prints one
// JSON line (an HttpLoadReport). Apart from the bench process so that, like
// ghz, the load generator has its own event loop, its own line in /proc (left
// out of the CPU per call), and a pid the bench can end.
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { createHttpLoadRecorder, type HttpLoadSpec } from './http-load-report';

const spec = JSON.parse(process.argv[2] ?? '') as HttpLoadSpec;
const recorder = createHttpLoadRecorder();
const failed = (status: number) => status < 200 || status >= 300;

const instance = autocannon(
  {
    url: spec.origin,
    connections: spec.connections,
    duration: spec.durationSec,
    maxOverallRequests: spec.maxCalls,
    timeout: spec.timeoutSec,
    requests: spec.requests.map((request) => ({
      ...request,
      headers: { ...request.headers },
      ...(spec.uniqueIdempotencyKey
        ? {
            setupRequest: (req: autocannon.Request) => ({
              ...req,
              headers: { ...req.headers, 'idempotency-key': `bench-${randomUUID()}` },
            }),
          }
        : {}),
      onResponse: (status: number, body: string) => {
        if (failed(status)) recorder.failedBody(status, String(body));
      },
    })),
  },
  (err, result) => {
    if (err !== null) {
      process.stderr.write(`autocannon failed: ${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify(recorder.report(result.duration))}\n`);
  },
);
// Fractional milliseconds, as the request's own hrtime measured them.
instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) =>
  recorder.response(status, ms),
);
instance.on('reqError', (err: Error) => recorder.socketError(err.message));
// The bench is being interrupted: end the run now; the report still prints.
process.once('SIGTERM', () => instance.stop());
