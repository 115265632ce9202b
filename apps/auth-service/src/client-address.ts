import { isIP, isIPv6 } from 'node:net';

/** What calls without a known peer share (an in-process call, a socket already gone). */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * The key a per-client budget counts under, from grpc-js's peer
 * (`host:port`). The port goes: each connection has its own. An IPv4 address
 * mapped into IPv6 is the IPv4 address. Any other IPv6 address counts by its
 * /64, as one subscriber usually holds a whole /64 and could otherwise rotate
 * through 2^64 addresses to get a fresh budget each time.
 *
 * x-forwarded-for and the like are not read: any client can send them. Behind
 * a proxy every client shares the proxy's address (see docs/security.md).
 */
export function clientAddressOf(peer: string | undefined): string {
  if (!peer) return UNKNOWN_ADDRESS;
  // A bare address (no port) is taken as it is: `::1` must not lose its `:1`.
  let host = isIP(peer) ? peer : peer.replace(/:\d+$/, '');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1]!;
  if (!isIPv6(host)) return host;
  return `${ipv6Prefix64(host)}::/64`;
}

/** The first four groups of an IPv6 address, with `::` expanded. */
function ipv6Prefix64(address: string): string {
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailGroups];
  return groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':');
}
