import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DomainError, createValidationError } from '@switchboard/errors';
import { refusedAddressKind } from './sink-address-policy';

export type ResolveHost = (host: string) => Promise<readonly string[]>;

const systemResolve: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Refuses a sink we must not POST to (SSRF protection): anything but http and
 * https, credentials in the URL, and a host any of whose addresses is
 * link-local, cloud metadata, unspecified, multicast, or (unless allowed for
 * development) loopback or private. Every address counts: a name that
 * resolves to one public and one private address is refused.
 */
export async function checkSinkUrl(
  sinkUrl: string,
  options: { allowLoopback: boolean; resolve?: ResolveHost },
): Promise<URL> {
  const refuse = (description: string) =>
    createValidationError([{ field: 'sink_url', description }]);
  let url: URL;
  try {
    url = new URL(sinkUrl);
  } catch {
    throw refuse('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse(`must be http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw refuse('must not carry a user name or password');
  }
  // URL keeps IPv6 literals in brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: readonly string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch (err) {
      throw new DomainError('INVALID_ARGUMENT', `sink_url: host ${host} does not resolve`, {
        violations: [{ field: 'sink_url', description: `host ${host} does not resolve` }],
        cause: err,
      });
    }
  }
  if (addresses.length === 0) throw refuse(`host ${host} does not resolve`);
  for (const address of addresses) {
    const kind = refusedAddressKind(address, { allowLoopback: options.allowLoopback });
    if (kind !== undefined) {
      throw refuse(
        `${host} resolves to ${address}, a ${kind} address; sinks must be public endpoints`,
      );
    }
  }
  return url;
}
