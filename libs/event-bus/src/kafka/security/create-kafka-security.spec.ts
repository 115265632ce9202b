import { createKafkaSecurity } from './create-kafka-security';

describe('createKafkaSecurity', () => {
  it('adds nothing for plaintext', () => {
    expect(createKafkaSecurity()).toEqual({});
    expect(createKafkaSecurity({})).toEqual({});
  });

  it('verifies the broker against the given CA only', () => {
    expect(createKafkaSecurity({ tls: { ca: 'PEM', caFile: '/x/ca.pem' } })).toEqual({
      ssl: { rejectUnauthorized: true, ca: ['PEM'] },
    });
  });

  it('uses the system CAs when no CA file is given', () => {
    expect(createKafkaSecurity({ tls: {} })).toEqual({ ssl: { rejectUnauthorized: true } });
  });

  it('passes a client certificate and its hidden key for mutual TLS', () => {
    const tls = { cert: 'CERT' };
    Object.defineProperty(tls, 'key', { value: 'KEY', enumerable: false });
    expect(createKafkaSecurity({ tls })).toEqual({
      ssl: { rejectUnauthorized: true, cert: 'CERT', key: 'KEY' },
    });
  });

  it('passes SASL credentials, including the non-enumerable password', () => {
    const sasl = { mechanism: 'scram-sha-512' as const, username: 'order-service' };
    Object.defineProperty(sasl, 'password', { value: 'pw', enumerable: false });
    expect(createKafkaSecurity({ sasl: sasl as typeof sasl & { password: string } })).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'order-service', password: 'pw' },
    });
  });
});
