// A service's database on a PostgreSQL server, behind Kysely.
export { createStorage } from './create-storage';
export type { Storage, StorageOptions } from './storage';
export type { ListenOptions, Unlisten } from './postgres/create-pg-notification-listener';
export {
  resolveStorageTarget,
  serviceDatabaseName,
  type StorageTarget,
  type StorageTargetInput,
} from './target/resolve-storage-target';
export { maskDatabaseUrl } from './target/mask-database-url';
export { StorageError } from './errors/storage-error';
export {
  isForeignKeyViolation,
  isRetryableTransactionError,
  isSerializationFailure,
  isUniqueViolation,
  postgresErrorCode,
} from './errors/database-errors';
export { runInTransaction } from './run-in-transaction';
// What a service needs to declare its tables and migrations, so it depends on
// this lib rather than on a Kysely version of its own.
export {
  sql,
  type ColumnType,
  type Generated,
  type Insertable,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type Transaction,
  type Updateable,
} from 'kysely';
export type { Migration } from 'kysely/migration';
