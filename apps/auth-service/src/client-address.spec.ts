import { createClientAddressResolver } from './client-address';

const call = (peerAddress: string | undefined, forwardedFor?: string) => ({
  peerAddress,
  header: (name: string) => (name === 'x-forwarded-for' ? forwardedFor : undefined),
});

describe('createClientAddressResolver', () => {
  const resolve = createClientAddressResolver(['127.0.0.1', '2001:db8::7']);

  it.each([
    [
      'a trusted proxy forwarding a client',
      call('127.0.0.1:40000', '198.51.100.4'),
      '198.51.100.4',
    ],
    [
      'the same proxy over IPv4-mapped IPv6',
      call('[::ffff:127.0.0.1]:40000', '198.51.100.4'),
      '198.51.100.4',
    ],
    [
      'only the entry the proxy appended',
      call('127.0.0.1:40000', '10.9.9.9, 198.51.100.4'),
      '198.51.100.4',
    ],
    [
      'a forwarded IPv6 client, by its /64',
      call('[2001:db8::7]:1', '2001:db8:aa:bb:1:2:3:4'),
      '2001:db8:aa:bb::/64',
    ],
    ['a trusted proxy forwarding nothing', call('127.0.0.1:40000'), '127.0.0.1'],
    ['a trusted proxy forwarding garbage', call('127.0.0.1:40000', 'not-an-address'), '127.0.0.1'],
    ['an untrusted peer claiming a client', call('192.0.2.8:5000', '198.51.100.4'), '192.0.2.8'],
    [
      "a neighbour in the trusted proxy's /64",
      call('[2001:db8::8]:1', '198.51.100.4'),
      '2001:db8:0:0::/64',
    ],
    ['an unknown peer', call(undefined, '198.51.100.4'), 'unknown'],
  ])('%s', (_, origin, expected) => {
    expect(resolve(origin)).toBe(expected);
  });

  it('believes nobody by default', () => {
    expect(createClientAddressResolver([])(call('127.0.0.1:1', '198.51.100.4'))).toBe('127.0.0.1');
  });
});
