import { clientTlsOf } from './client-tls-of';

describe('clientTlsOf', () => {
  const pem = (s: string) => Buffer.from(s);

  it('is plaintext without a certificate or a CA', () => {
    expect(clientTlsOf({})).toBeUndefined();
  });

  it('verifies with the CA and shows the service’s own certificate', () => {
    expect(clientTlsOf({ tlsCert: pem('c'), tlsKey: pem('k'), tlsCa: pem('ca') })).toEqual({
      ca: pem('ca'),
      cert: pem('c'),
      key: pem('k'),
    });
    expect(clientTlsOf({ tlsCa: pem('ca') })).toEqual({ ca: pem('ca') });
  });
});
