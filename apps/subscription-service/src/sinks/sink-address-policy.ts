import { BlockList, isIP } from 'node:net';

/** Why an address is refused, as the caller reads it. */
export type RefusedAddressKind =
  | 'cloud metadata'
  | 'link-local'
  | 'unspecified'
  | 'multicast or broadcast'
  | 'loopback'
  | 'private';

function blockList(entries: readonly [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of entries) list.addSubnet(network, prefix, family);
  return list;
}

// Checked in this order, so the metadata address is named as such rather than as link-local.
const NEVER: readonly [RefusedAddressKind, BlockList][] = [
  [
    'cloud metadata',
    blockList([
      ['169.254.169.254', 32, 'ipv4'],
      ['fd00:ec2::254', 128, 'ipv6'],
    ]),
  ],
  [
    'link-local',
    blockList([
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ]),
  ],
  [
    'unspecified',
    blockList([
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ]),
  ],
  [
    'multicast or broadcast',
    blockList([
      ['224.0.0.0', 4, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ]),
  ],
];

// Our own machines: allowed only when SUBSCRIPTION_ALLOW_LOOPBACK_SINKS is on (development).
const UNLESS_ALLOWED: readonly [RefusedAddressKind, BlockList][] = [
  [
    'loopback',
    blockList([
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ]),
  ],
  [
    'private',
    blockList([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      ['100.64.0.0', 10, 'ipv4'],
      ['fc00::', 7, 'ipv6'],
    ]),
  ],
];

/** The IPv4 address in the last 32 bits of an IPv6 address, e.g. `::a9fe:a9fe` → 169.254.169.254. */
function embeddedIpv4(address: string): string | undefined {
  const tail = /:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!tail) return /(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  const hi = parseInt(tail[1]!, 16);
  const lo = parseInt(tail[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/**
 * An IPv6 address that reaches an IPv4 one is judged as that IPv4 address:
 * IPv4-mapped (`::ffff:10.0.0.1`, also written `::ffff:a00:1`) and the NAT64
 * well-known prefix (`64:ff9b::/96`), through which a NAT64 gateway would
 * carry a request to 169.254.169.254.
 */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  if (isIP(address) === 4) return { address, family: 'ipv4' };
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') || lower.startsWith('64:ff9b::')) {
    const v4 = embeddedIpv4(lower);
    if (v4 !== undefined && isIP(v4) === 4) return { address: v4, family: 'ipv4' };
  }
  return { address, family: 'ipv6' };
}

/**
 * Why a sink may not be sent to at `address`, or undefined when it may.
 * Used when a subscription is created; the delivery workers should ask again
 * at each POST, since a name can resolve elsewhere later (DNS rebinding).
 */
export function refusedAddressKind(
  address: string,
  options: { allowLoopback: boolean },
): RefusedAddressKind | undefined {
  const { address: ip, family } = normalise(address);
  for (const [kind, list] of NEVER) if (list.check(ip, family)) return kind;
  if (options.allowLoopback) return undefined;
  for (const [kind, list] of UNLESS_ALLOWED) if (list.check(ip, family)) return kind;
  return undefined;
}
