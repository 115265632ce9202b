import { isIP } from 'node:net';

/**
 * The grpc-js target for a `<SERVICE>_ADDR` value.
 *
 * One address (`host:port`, or a target with a scheme such as
 * `dns:///order-service:50053`) is used as is: grpc-js resolves a name
 * through DNS and, with the round_robin policy the transport asks for,
 * balances over every address the name has, which is what a headless
 * Kubernetes Service returns (one A record per ready pod).
 *
 * A comma-separated list (`127.0.0.1:50052,127.0.0.1:60052`) names replicas
 * directly, for running several on one machine. grpc-js balances over a list
 * only through its `ipv4:` and `ipv6:` schemes, so every entry must be an IP
 * literal of one family: a list of names would need a resolver of our own and
 * is refused with a message that says so.
 */
export function grpcTargetOf(address: string): string {
  const value = address.trim();
  if (!value.includes(',')) {
    if (value === '') throw new Error('must be host:port or a list of ip:port');
    return value;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const parsed = entries.map(parseIpEntry);
  const families = new Set(parsed.map((p) => p.family));
  if (families.size > 1) {
    throw new Error('a list must be all IPv4 or all IPv6 addresses, not both');
  }
  const [family] = families;
  return `ipv${family}:${parsed.map((p) => p.entry).join(',')}`;
}

function parseIpEntry(entry: string): { family: 4 | 6; entry: string } {
  const refuse = (why: string): never => {
    throw new Error(
      `a comma-separated list must name ip:port entries (grpc-js balances over a list of ` +
        `IP addresses only; give one name, e.g. dns:///name:port, to balance over its records): ` +
        `"${entry}" ${why}`,
    );
  };
  if (entry === '') refuse('is empty');
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(entry);
  const plain = /^([^:[\]]+):(\d+)$/.exec(entry);
  const match = bracketed ?? plain;
  if (match === null) return refuse('is not ip:port ([ip]:port for IPv6)');
  const host = match[1] ?? '';
  const portText = match[2] ?? '';
  const port = Number(portText);
  if (port < 1 || port > 65535) refuse('has a port outside 1-65535');
  const family = isIP(host);
  if (family === 0) refuse('is not an IP address');
  if (family === 6 && bracketed === null) refuse('needs brackets around an IPv6 address');
  return { family: family as 4 | 6, entry };
}
