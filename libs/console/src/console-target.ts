/**
 * Something the console watches and calls: one of the seven services (gRPC,
 * with grpc.health.v1 and server reflection) or the edge gateway (HTTP).
 */
export interface ConsoleTarget {
  /** The node id on the system map, and the service.name its spans carry: `order-service`. */
  id: string;
  kind: 'service' | 'edge';
  /** host:port for a service; a base URL (`http://127.0.0.1:8080`) for the edge. */
  address: string;
}
