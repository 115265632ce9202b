import type { Logger } from '@switchboard/logger';
import { createStorage, type Migration, type Storage } from '@switchboard/storage';
import { createTestDatabase, type TestDatabase } from '@switchboard/testing';

export type Backend = 'postgres';

export interface TestStore<DB> {
  storage: Storage<DB>;
  /** The server database's URL (postgres only), for a child process or a proxy. */
  url?: string;
  /** Closes the storage, then drops its database. */
  dispose(): Promise<void>;
}

export interface TestStoreOptions {
  /** The storage's service name; its database is named after `databasePrefix`. */
  service: string;
  databasePrefix: string;
  migrations: Record<string, Migration>;
  logger: Logger;
  /** Rewrites the database URL the storage connects to (a proxy in between, say). */
  urlFor?: (url: string) => string;
  connectTimeoutMs?: number;
  pingTimeoutMs?: number;
}

/** A fresh database on the chosen backend with the given migrations applied, and a storage on it. */
export async function openTestStore<DB>(
  backend: Backend,
  options: TestStoreOptions,
): Promise<TestStore<DB>> {
  const { databasePrefix, urlFor, ...storageOptions } = options;
  let database: TestDatabase | undefined;
  if (backend === 'postgres') database = await createTestDatabase(databasePrefix);
  const storage = await createStorage<DB>({
    ...storageOptions,
    serviceDatabaseUrl: database && (urlFor ? urlFor(database.url) : database.url),
  });
  return {
    storage,
    url: database?.url,
    async dispose() {
      await storage.close();
      await database?.drop();
    },
  };
}
