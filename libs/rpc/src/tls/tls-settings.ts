/**
 * The TLS part of a service's configuration, as libs/config reads it from
 * TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE and TLS_CLIENT_AUTH (PEM bytes,
 * read at start). No certificate means plaintext.
 */
export interface TlsSettings {
  /** This service's certificate (chain): served, and shown when it dials another service. */
  readonly tlsCert?: Buffer;
  readonly tlsKey?: Buffer;
  /** Verifies the servers this service dials and, with client auth, its clients. */
  readonly tlsCa?: Buffer;
  /** Whether the server asks clients for a certificate; 'none' when unset. */
  readonly tlsClientAuth?: 'none' | 'request' | 'require';
}

/** What a client needs to dial a TLS server. */
export interface ClientTls {
  /** Trusted to sign the server's certificate; the system's CAs when unset. */
  readonly ca?: Buffer;
  /** A client certificate and its key, for servers that ask for one (mTLS). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}
