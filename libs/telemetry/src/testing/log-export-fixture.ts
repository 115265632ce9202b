// A process that does what a service does with its logs: creates its logger,
// starts telemetry from the OTEL_* variables, logs inside a span and outside
// one, and shuts telemetry down. log-export.spec.ts runs it in a process of
// its own, because the OTLP/HTTP exporters cannot load inside jest's sandbox.
import { shutdownTelemetry, startTelemetry } from '../start-telemetry';
import { trace } from '@opentelemetry/api';
import { createLogger } from '@switchboard/logger';

async function main(): Promise<void> {
  const logger = createLogger({ service: 'log-export-fixture', level: 'info' });
  await startTelemetry({ service: 'log-export-fixture', metricsPort: 0, logger });
  trace.getTracer('fixture').startActiveSpan('place order', (span) => {
    logger.warn({ orderId: 'o-42', request: { password: 'hunter22hunter' } }, 'inside the span');
    span.end();
  });
  logger.error({ err: new Error('outside any span') }, 'failed');
  const started = Date.now();
  await shutdownTelemetry();
  logger.info({ shutdownMs: Date.now() - started }, 'telemetry shut down');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
