import { maskDatabaseUrl } from './mask-database-url';
import { resolveStorageTarget } from './resolve-storage-target';

describe('resolveStorageTarget', () => {
  const shared = 'postgres://app:s3cret@db.internal:5432/postgres?sslmode=require';

  it('uses the per-service URL as is, even when a shared URL is set', () => {
    const target = resolveStorageTarget({
      service: 'order',
      serviceDatabaseUrl: 'postgresql://o:pw@orders-db:6543/orders_main',
      databaseUrl: shared,
    });
    expect(target).toEqual({
      kind: 'postgres',
      url: 'postgresql://o:pw@orders-db:6543/orders_main',
      database: 'orders_main',
      location: 'postgresql://o:***@orders-db:6543/orders_main',
    });
  });

  it('gives each service its own database on the shared server, keeping the query', () => {
    const target = resolveStorageTarget({
      service: 'inventory',
      databaseUrl: shared,
    });
    expect(target).toEqual({
      kind: 'postgres',
      url: 'postgres://app:s3cret@db.internal:5432/switchboard_inventory?sslmode=require',
      database: 'switchboard_inventory',
      location: 'postgres://app:***@db.internal:5432/switchboard_inventory?sslmode=require',
    });
  });

  it('names the database even when the shared URL names none', () => {
    const target = resolveStorageTarget({
      service: 'auth',
      databaseUrl: 'postgres://u@h',
    });
    expect(target).toMatchObject({
      url: 'postgres://u@h/switchboard_auth',
      database: 'switchboard_auth',
    });
  });

  it('refuses to go on without a server URL, naming both variables; empty URLs count as unset', () => {
    expect(() =>
      resolveStorageTarget({ service: 'post', databaseUrl: '', serviceDatabaseUrl: '' }),
    ).toThrow('no database configured for post: set DATABASE_URL (or POST_DATABASE_URL)');
  });

  it('rejects service keys that could escape a path or need quoting', () => {
    for (const service of ['../etc', 'Order', 'a-b', '', 'x"y']) {
      expect(() => resolveStorageTarget({ service, databaseUrl: 'postgres://h/d' })).toThrow(
        'invalid service key',
      );
    }
  });

  it('rejects non-postgres URLs without echoing the password', () => {
    let message = '';
    try {
      resolveStorageTarget({
        service: 'order',
        databaseUrl: 'mysql://u:topsecret@h/db',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('must start with postgres://');
    expect(message).not.toContain('topsecret');
  });
});

describe('maskDatabaseUrl', () => {
  it('masks the password in the authority and in the query', () => {
    expect(maskDatabaseUrl('postgres://u:p%40ss@h:1/d')).toBe('postgres://u:***@h:1/d');
    expect(maskDatabaseUrl('postgres://u@h/d?password=x')).toBe('postgres://u@h/d?password=***');
    expect(maskDatabaseUrl('postgres://u@h/d')).toBe('postgres://u@h/d');
  });

  it('still masks a URL it cannot parse', () => {
    expect(maskDatabaseUrl('postgres://u:p w@[bad/d')).toBe('postgres://u:***@[bad/d');
  });
});
