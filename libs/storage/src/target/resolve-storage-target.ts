import { maskDatabaseUrl } from './mask-database-url';

export interface StorageTargetInput {
  /** Short service key, e.g. "order"; names the database. */
  service: string;
  /** The shared server (DATABASE_URL); its database name is replaced per service. */
  databaseUrl?: string;
  /** <SERVICE>_DATABASE_URL; wins over everything and is used as is. */
  serviceDatabaseUrl?: string;
}

export interface StorageTarget {
  kind: 'postgres';
  /** The URL to connect with, password included. */
  url: string;
  /** The database the URL names, created at start if missing ('' when the URL names none). */
  database: string;
  /** The URL with its password masked, for logs and errors. */
  location: string;
}

// Lower-case letters, digits and underscores: the key becomes part of a
// database name, so nothing may need quoting.
const SERVICE_KEY = /^[a-z][a-z0-9_]{0,50}$/;

/** The database name a service gets on the shared server. */
export function serviceDatabaseName(service: string): string {
  return `switchboard_${service}`;
}

/**
 * Decides where a service keeps its data. Pure (no I/O), so the rules are easy
 * to test: a per-service URL wins and is used as is; else the shared server
 * with a database per service, so services never share tables. Development
 * and production take the same path: on a laptop the shared server is the one
 * `npm start` runs (tools/postgres).
 */
export function resolveStorageTarget(input: StorageTargetInput): StorageTarget {
  if (!SERVICE_KEY.test(input.service)) {
    throw new Error(
      `invalid service key ${JSON.stringify(input.service)}: use lower-case letters, digits and underscores, starting with a letter`,
    );
  }
  // An empty variable means "unset", as in @switchboard/config.
  if (input.serviceDatabaseUrl) {
    const url = parsePostgresUrl(input.serviceDatabaseUrl);
    return {
      kind: 'postgres',
      url: input.serviceDatabaseUrl,
      database: decodeURIComponent(url.pathname.replace(/^\//, '')),
      location: maskDatabaseUrl(input.serviceDatabaseUrl),
    };
  }
  if (input.databaseUrl) {
    const url = parsePostgresUrl(input.databaseUrl);
    const database = serviceDatabaseName(input.service);
    url.pathname = `/${database}`;
    const serviceUrl = url.toString();
    return { kind: 'postgres', url: serviceUrl, database, location: maskDatabaseUrl(serviceUrl) };
  }
  throw new Error(
    `no database configured for ${input.service}: set DATABASE_URL (or ${input.service.toUpperCase()}_DATABASE_URL) to a PostgreSQL server`,
  );
}

function parsePostgresUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(
      `invalid database URL ${maskDatabaseUrl(raw)}: expected postgres://user:pass@host:5432/db`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(
      `invalid database URL ${maskDatabaseUrl(raw)}: must start with postgres:// or postgresql://`,
    );
  }
  return url;
}
