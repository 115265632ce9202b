/**
 * Quotes an SQL identifier (a database or savepoint name) so it can be spliced
 * into statements that take no bind parameters, such as CREATE DATABASE.
 * Doubling embedded quotes is PostgreSQL's own escaping rule; a NUL byte can
 * never be part of an identifier, so it is rejected rather than passed on.
 */
export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new Error('an SQL identifier cannot be empty');
  if (name.includes('\u0000')) throw new Error('an SQL identifier cannot contain a NUL byte');
  return `"${name.replaceAll('"', '""')}"`;
}
