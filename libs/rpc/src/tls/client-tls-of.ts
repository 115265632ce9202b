import type { ClientTls, TlsSettings } from './tls-settings';

/**
 * How a service dials another: over TLS as soon as it has a certificate or a
 * CA, verifying the server against TLS_CA_FILE, and showing its own
 * certificate as its client certificate. Undefined means plaintext.
 *
 *     createGrpcJsTransport({ address: config.inventoryAddr, tls: clientTlsOf(config) })
 */
export function clientTlsOf(settings: TlsSettings): ClientTls | undefined {
  if (settings.tlsCert === undefined && settings.tlsCa === undefined) return undefined;
  return { ca: settings.tlsCa, cert: settings.tlsCert, key: settings.tlsKey };
}
