import { Code, ConnectError } from '@connectrpc/connect';
import type { EventBus } from '@switchboard/event-bus';

/** How long a view waits for the broker before saying it is unavailable. */
const PING_TIMEOUT_MS = 3_000;

/**
 * Fails fast with UNAVAILABLE when the broker does not answer, instead of
 * letting the client library retry for half a minute behind a spinner.
 */
export async function requireKafka(bus: EventBus): Promise<void> {
  try {
    await bus.ping(PING_TIMEOUT_MS);
  } catch (err) {
    throw new ConnectError(`cannot reach Kafka: ${(err as Error).message}`, Code.Unavailable);
  }
}
