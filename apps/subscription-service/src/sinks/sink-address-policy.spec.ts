import { refusedAddressKind } from './sink-address-policy';

describe('refusedAddressKind', () => {
  const strict = { allowLoopback: false };
  const loose = { allowLoopback: true };

  it('always refuses metadata, link-local, unspecified and multicast addresses', () => {
    const cases: [string, string][] = [
      ['169.254.169.254', 'cloud metadata'],
      ['fd00:ec2::254', 'cloud metadata'],
      ['169.254.10.1', 'link-local'],
      ['fe80::1', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.1', 'multicast or broadcast'],
      ['255.255.255.255', 'multicast or broadcast'],
      ['ff02::1', 'multicast or broadcast'],
      ['::ffff:169.254.169.254', 'cloud metadata'],
      ['::ffff:a9fe:a9fe', 'cloud metadata'],
      ['64:ff9b::a9fe:a9fe', 'cloud metadata'],
      ['64:ff9b::169.254.1.1', 'link-local'],
    ];
    for (const [address, kind] of cases) {
      expect(refusedAddressKind(address, strict)).toBe(kind);
      expect(refusedAddressKind(address, loose)).toBe(kind);
    }
  });

  it('refuses loopback and private networks unless allowed', () => {
    for (const address of [
      '127.0.0.1',
      '::1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      'fd12::1',
    ]) {
      expect(refusedAddressKind(address, strict)).toMatch(/loopback|private/);
      expect(refusedAddressKind(address, loose)).toBeUndefined();
    }
    expect(refusedAddressKind('::ffff:127.0.0.1', strict)).toBe('loopback');
    expect(refusedAddressKind('::ffff:7f00:1', strict)).toBe('loopback');
    expect(refusedAddressKind('64:ff9b::a00:1', strict)).toBe('private');
  });

  it('lets public addresses through', () => {
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '172.32.0.1']) {
      expect(refusedAddressKind(address, strict)).toBeUndefined();
    }
  });
});
