/**
 * The CloudEvents `source` of everything a service publishes, e.g.
 * `/switchboard/order-service`. One definition, because outbox rows written by
 * a module and events published by its bus must carry the same source.
 */
export function eventSourceOf(service: string): string {
  return `/switchboard/${service}`;
}
