import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { Logger } from '@switchboard/logger';
import { StorageError, describeCause } from '../errors/storage-error';

/**
 * Migration names sort as strings, so they must carry a fixed-width number:
 * "0010_x" after "0009_y". A name like "10_x" would sort before "9_y" and run
 * out of order, hence the check.
 */
const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+$/;

export interface RunMigrationsOptions {
  service: string;
  location: string;
  logger: Logger;
}

/**
 * Brings the schema up to date at start. Kysely's migrator records applied
 * migrations in `kysely_migration` and, on PostgreSQL, holds a session
 * advisory lock while it reads that table and applies the rest inside one
 * transaction: a second replica starting at the same moment waits, then finds
 * nothing left to do. Returns the names applied by this call.
 */
export async function runMigrations(
  db: Kysely<unknown>,
  migrations: Record<string, Migration>,
  options: RunMigrationsOptions,
): Promise<string[]> {
  const { service, location, logger } = options;
  const bad = Object.keys(migrations).filter((name) => !MIGRATION_NAME.test(name));
  if (bad.length > 0) {
    throw new StorageError(
      `invalid migration name(s) for ${service}: ${bad.join(', ')} (expected e.g. 0001_create_orders)`,
      location,
    );
  }

  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // Library migrations (outbox, inbox: `0000_...`) and a service's own are
    // independent sets; a library one added later must still apply to a
    // database whose service migrations already ran.
    allowUnorderedMigrations: true,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new StorageError(
      `migrating ${service} at ${location} failed${failed ? ` in ${failed}` : ''}: ${describeCause(error)}`,
      location,
      { cause: error },
    );
  }
  for (const name of applied) logger.info({ migration: name }, 'applied migration');
  return applied;
}
