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
 * x-forwarded-for is not read here: any client can send it. See
 * createClientAddressResolver for the proxies whose word is taken.
 */
export function clientAddressOf(peer: string | undefined): string {
  const host = hostOf(peer);
  if (host === undefined) return UNKNOWN_ADDRESS;
  if (!isIPv6(host)) return host;
  return `${ipv6Prefix64(host)}::/64`;
}

/** The peer's address without port or brackets; an IPv4-mapped IPv6 address as IPv4. */
function hostOf(peer: string | undefined): string | undefined {
  if (!peer) return undefined;
  // A bare address (no port) is taken as it is: `::1` must not lose its `:1`.
  let host = isIP(peer) ? peer : peer.replace(/:\d+$/, '');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped ? mapped[1]! : host.toLowerCase();
}

/** What a handler knows of a call, as far as the client's address goes. */
export interface CallOrigin {
  readonly peerAddress?: string;
  header(name: string): string | undefined;
}

/**
 * The client address of a call, for per-client budgets. Only a peer listed in
 * AUTH_TRUSTED_PROXIES (the edge gateway, say) is believed about whom it
 * forwards: its `x-forwarded-for` names the client, and the last entry counts,
 * the one that proxy appended itself; entries before it came from the client
 * and could be anything. From any other peer the header is ignored, so a
 * client cannot buy a fresh budget by sending one.
 */
export function createClientAddressResolver(
  trustedProxies: readonly string[],
): (call: CallOrigin) => string {
  // Exact addresses: trusting one IPv6 proxy must not trust its whole /64.
  const trusted = new Set(trustedProxies.map((a) => hostOf(a)));
  return (call) => {
    if (!trusted.has(hostOf(call.peerAddress))) return clientAddressOf(call.peerAddress);
    const forwarded = call.header('x-forwarded-for')?.split(',').pop()?.trim();
    return clientAddressOf(forwarded && isIP(forwarded) ? forwarded : call.peerAddress);
  };
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
