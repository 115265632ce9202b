/** host and port of a URL or a host:port, for a TCP probe; undefined when there is none. */
export function hostPortOf(
  address: string,
  defaultPort: number,
): { host: string; port: number } | undefined {
  try {
    const url = new URL(address.includes('://') ? address : `tcp://${address}`);
    if (!url.hostname) return undefined;
    return {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : defaultPort,
    };
  } catch {
    return undefined;
  }
}
