import * as grpc from '@grpc/grpc-js';
import type { TlsSettings } from './tls-settings';

/**
 * `request` in Node's terms: ask every client for a certificate and verify
 * one that comes, but let a client without one (or with one the CA did not
 * sign) connect unauthenticated; its calls then carry no peer certificate
 * name and need a bearer token like any other. grpc-js's createSsl can only
 * require or not ask, so this passes Node's options to the secure server the
 * same way createSsl does.
 */
class RequestClientCertificate extends grpc.ServerCredentials {
  constructor(ca: Buffer, cert: Buffer, key: Buffer) {
    super({ requestCert: true, rejectUnauthorized: false }, { ca, cert: [cert], key: [key] });
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

/** Server TLS when the settings have a certificate, plaintext otherwise. */
export function createServerCredentials(settings: TlsSettings): grpc.ServerCredentials {
  const { tlsCert: cert, tlsKey: key, tlsCa: ca } = settings;
  const clientAuth = settings.tlsClientAuth ?? 'none';
  if (cert === undefined) {
    if (clientAuth !== 'none') throw new Error(`client auth '${clientAuth}' needs a certificate`);
    return grpc.ServerCredentials.createInsecure();
  }
  if (key === undefined) throw new Error('a TLS certificate needs its key');
  if (clientAuth === 'none') {
    return grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
  }
  if (ca === undefined) throw new Error(`client auth '${clientAuth}' needs a CA to verify with`);
  if (clientAuth === 'request') return new RequestClientCertificate(ca, cert, key);
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
}
