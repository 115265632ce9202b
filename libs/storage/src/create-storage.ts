import { Kysely, sql } from 'kysely';
import { StorageError, describeCause } from './errors/storage-error';
import { runMigrations } from './migrations/run-migrations';
import { assertChannelName } from './postgres/create-pg-notification-listener';
import { openPostgres } from './postgres/open-postgres';
import type { Storage, StorageOptions } from './storage';
import { resolveStorageTarget } from './target/resolve-storage-target';

/**
 * Opens a service's database on a PostgreSQL server — the one `npm start`
 * runs in development, yours in production — creating it when missing, and
 * applies pending migrations.
 */
export async function createStorage<DB>(options: StorageOptions): Promise<Storage<DB>> {
  const target = resolveStorageTarget(options);
  const logger = options.logger.child({ storage: target.kind, location: target.location });
  const backend = await openPostgres(target, options, logger);
  const db = new Kysely<DB>({ dialect: backend.dialect });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await backend
        .closeListeners()
        .catch((err) => logger.warn({ err }, 'closing listeners failed'));
      await db.destroy();
    })();
    return closing;
  };

  try {
    await runMigrations(db as Kysely<unknown>, options.migrations, {
      service: options.service,
      location: target.location,
      logger,
    });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }

  const pingTimeoutMs = options.pingTimeoutMs ?? 2000;
  logger.info('storage ready');

  return {
    db,
    kind: target.kind,
    location: target.location,

    async ping() {
      if (closing)
        throw new StorageError(`storage at ${target.location} is closed`, target.location);
      let timer: NodeJS.Timeout | undefined;
      // A race rather than an abort signal: a health check must answer in time
      // even while the pool is still trying to connect; the abandoned attempt
      // is bounded by connectTimeoutMs.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const message = `ping of ${target.location} timed out after ${pingTimeoutMs} ms`;
          reject(new StorageError(message, target.location));
        }, pingTimeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
      } catch (err) {
        if (err instanceof StorageError) throw err;
        const message = `ping of ${target.location} failed: ${describeCause(err)}`;
        throw new StorageError(message, target.location, { cause: err });
      } finally {
        clearTimeout(timer);
      }
    },

    async listen(channel, onNotify, listenOptions) {
      assertChannelName(channel);
      if (closing)
        throw new StorageError(`storage at ${target.location} is closed`, target.location);
      return backend.listen(channel, onNotify, listenOptions);
    },

    close,
  };
}
