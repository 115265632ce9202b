import { hostPortOf } from './host-port-of';
import { maskDatabaseUrl } from './mask-database-url';

describe('maskDatabaseUrl', () => {
  it('never shows the password, in the URL or its query', () => {
    expect(maskDatabaseUrl('postgres://app:s3cret@db.local:5433/switchboard?password=x')).toBe(
      'postgres://app:***@db.local:5433/switchboard',
    );
    expect(maskDatabaseUrl('postgres://127.0.0.1/postgres')).toBe('postgres://127.0.0.1/postgres');
    expect(maskDatabaseUrl('not a url user:pw@host')).toBe('host');
  });
});

describe('hostPortOf', () => {
  it('finds host and port in a URL or a host:port, with the default port', () => {
    expect(hostPortOf('postgres://a:b@db:5433/x', 5432)).toEqual({ host: 'db', port: 5433 });
    expect(hostPortOf('postgres://db/x', 5432)).toEqual({ host: 'db', port: 5432 });
    expect(hostPortOf('127.0.0.1:29092', 9092)).toEqual({ host: '127.0.0.1', port: 29092 });
    expect(hostPortOf('[::1]:9092', 9092)).toEqual({ host: '::1', port: 9092 });
  });
});
