/**
 * The CloudEvents `source` of everything a service publishes, e.g.
 * `/switchboard/order-service`. Defined beside the topic registry, which
 * names the one source allowed to publish each event type, so the producer
 * that stamps a source and the consumer that checks it use one definition.
 */
export function eventSourceOf(service: string): string {
  return `/switchboard/${service}`;
}
