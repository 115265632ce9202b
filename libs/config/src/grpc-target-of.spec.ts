import { grpcTargetOf } from './grpc-target-of';
import { loadServiceConfig } from './service-config';

describe('grpcTargetOf', () => {
  it('keeps one address, a name included, for grpc-js to resolve', () => {
    expect(grpcTargetOf('127.0.0.1:50052')).toBe('127.0.0.1:50052');
    expect(grpcTargetOf('dns:///inventory-service:50052')).toBe('dns:///inventory-service:50052');
    expect(grpcTargetOf(' inventory-service:50052 ')).toBe('inventory-service:50052');
  });

  it('turns a list of IPv4 replicas into an ipv4: target', () => {
    expect(grpcTargetOf('127.0.0.1:50052, 127.0.0.1:60052')).toBe(
      'ipv4:127.0.0.1:50052,127.0.0.1:60052',
    );
  });

  it('turns a list of bracketed IPv6 replicas into an ipv6: target', () => {
    expect(grpcTargetOf('[::1]:50052,[::1]:60052')).toBe('ipv6:[::1]:50052,[::1]:60052');
  });

  it.each([
    ['localhost:50052,127.0.0.1:60052', 'is not an IP address'],
    ['127.0.0.1:50052,', 'is empty'],
    ['127.0.0.1:50052,127.0.0.1', 'is not ip:port'],
    ['127.0.0.1:50052,127.0.0.1:70000', 'outside 1-65535'],
    ['127.0.0.1:50052,[::1]:60052', 'not both'],
    ['::1:50052,::1:60052', 'is not ip:port'],
  ])('refuses the list %s', (address, why) => {
    expect(() => grpcTargetOf(address)).toThrow(why);
  });

  it('makes a service refuse to start on a list it cannot balance over', () => {
    expect(() =>
      loadServiceConfig('order', undefined, {
        SWITCHBOARD_ENV: 'development',
        AUTH_ADDR: 'auth-a:50051,auth-b:50051',
      }),
    ).toThrow(/AUTH_ADDR/);
  });
});
