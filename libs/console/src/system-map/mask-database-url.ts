/**
 * A connection URL as the map may show it: the password replaced, so a
 * screenshot or a shared page does not carry it. Anything that does not
 * parse as a URL is shown as its host part only.
 */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.search = '';
    return parsed.toString();
  } catch {
    const at = url.lastIndexOf('@');
    return at < 0 ? url : url.slice(at + 1);
  }
}
