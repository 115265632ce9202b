/**
 * Hides the password of a PostgreSQL URL so the URL can go into logs and error
 * messages: operators need to see which server and database are meant, never
 * the credentials.
 */
export function maskDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can parse: blank out anything between "user:" and "@" anyway.
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
  if (parsed.password) parsed.password = '***';
  // libpq also accepts the password as a query parameter.
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}
