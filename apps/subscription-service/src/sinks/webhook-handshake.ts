import { DomainError } from '@switchboard/errors';

/**
 * The CloudEvents Web Hooks abuse-protection handshake: before anything is
 * sent, the sink must say it wants events from us. OPTIONS with
 * WebHook-Request-Origin; it agrees only with 200 and WebHook-Allowed-Origin
 * naming our origin (or `*`). Redirects are not followed: they would lead
 * past the address checks.
 */
export async function webhookHandshake(
  url: URL,
  options: { origin: string; timeoutMs: number },
): Promise<void> {
  const refuse = (why: string, cause?: unknown) =>
    new DomainError(
      'SINK_HANDSHAKE_REFUSED',
      `sink ${url.origin} did not agree to the CloudEvents Web Hooks handshake: ${why}`,
      { details: { sinkOrigin: url.origin }, cause },
    );
  let response: Response;
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    response = await fetch(url, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': options.origin },
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    // The signal, not the error's class: fetch rejects with a DOMException, not always an Error.
    throw refuse(
      signal.aborted ? `no answer within ${options.timeoutMs} ms` : 'it could not be reached',
      err,
    );
  }
  // The body is not needed; free the connection.
  await response.body?.cancel().catch(() => undefined);
  if (response.status !== 200) {
    throw refuse(`OPTIONS answered ${response.status}, not 200`);
  }
  const allowed = response.headers.get('WebHook-Allowed-Origin');
  if (allowed === null) throw refuse('no WebHook-Allowed-Origin header');
  if (allowed.trim() !== '*' && allowed.trim() !== options.origin) {
    throw refuse(`WebHook-Allowed-Origin is "${allowed}", not "${options.origin}"`);
  }
}
