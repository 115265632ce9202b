import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConfigField, Env } from './load-config';

/**
 * Whether a gRPC server asks its clients for a certificate: `request` asks
 * and verifies one when it comes (a caller without one, e.g. grpcurl with a
 * bearer token, still gets in); `require` refuses a connection without a
 * certificate signed by TLS_CA_FILE.
 */
export const TLS_CLIENT_AUTH_MODES = ['none', 'request', 'require'] as const;
export type TlsClientAuth = (typeof TLS_CLIENT_AUTH_MODES)[number];

const CERT = 'TLS_CERT_FILE';
const KEY = 'TLS_KEY_FILE';
const CA = 'TLS_CA_FILE';
const CLIENT_AUTH = 'TLS_CLIENT_AUTH';
const PLAINTEXT = 'GRPC_PLAINTEXT';

/** The file's bytes, or an error that says why it cannot be used. */
function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot be read${code === undefined ? '' : ` (${code})`}`);
  }
}

function parseCertificate(pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error('is not a PEM certificate');
  }
}

/**
 * TLS for gRPC, from files read once at start: the service's certificate and
 * key (served, and shown as its client certificate when it dials another
 * service), the CA that signs the other services' certificates, and whether
 * clients must show one. A field's validity depends on the others (a key
 * needs its certificate, `require` needs a CA), so each looks at `source`,
 * the environment the whole configuration is read from, and the error names
 * the variable to fix.
 *
 * Plaintext is the default only in development. Anywhere else TLS_CERT_FILE
 * is required, unless GRPC_PLAINTEXT=true says that something else encrypts
 * every hop (a service mesh's sidecar, say).
 */
export function tlsSchema(source: Env) {
  // As loadConfig does: an empty variable counts as unset.
  const isSet = (name: string) => source[name] !== undefined && source[name] !== '';
  const plaintext = /^(true|1)$/i.test((source[PLAINTEXT] ?? '').trim());
  return {
    tlsCert: {
      env: CERT,
      parse(raw, context) {
        if (raw === undefined) {
          if (context.development || plaintext) return undefined;
          throw new Error(
            `is required outside development (SWITCHBOARD_ENV=development), unless ${PLAINTEXT}=true`,
          );
        }
        const pem = readFile(raw);
        const certificate = parseCertificate(pem);
        if (new Date(certificate.validTo) < new Date()) {
          throw new Error(`holds a certificate that expired on ${certificate.validTo}`);
        }
        return pem;
      },
    } satisfies ConfigField<Buffer | undefined>,
    tlsKey: {
      env: KEY,
      parse(raw) {
        if (raw === undefined) {
          if (isSet(CERT)) throw new Error(`is required when ${CERT} is set`);
          return undefined;
        }
        if (!isSet(CERT)) throw new Error(`is set but ${CERT} is not`);
        const pem = readFile(raw);
        let key;
        try {
          key = createPrivateKey(pem);
        } catch {
          throw new Error('is not an unencrypted PEM private key');
        }
        // A mismatch would otherwise surface only as failed handshakes.
        let certificate: X509Certificate | undefined;
        try {
          certificate = new X509Certificate(readFileSync(source[CERT]!));
        } catch {
          // TLS_CERT_FILE reports its own problem.
        }
        if (certificate !== undefined && !certificate.checkPrivateKey(key)) {
          throw new Error(`is not the key of the certificate in ${CERT}`);
        }
        return pem;
      },
    } satisfies ConfigField<Buffer | undefined>,
    tlsCa: {
      env: CA,
      parse(raw) {
        if (raw === undefined) {
          const mode = source[CLIENT_AUTH];
          if (mode === 'request' || mode === 'require') {
            throw new Error(
              `is required when ${CLIENT_AUTH}=${mode}, to verify client certificates`,
            );
          }
          return undefined;
        }
        const pem = readFile(raw);
        parseCertificate(pem);
        return pem;
      },
    } satisfies ConfigField<Buffer | undefined>,
    tlsClientAuth: {
      env: CLIENT_AUTH,
      parse(raw): TlsClientAuth {
        const mode = raw ?? 'none';
        if (!(TLS_CLIENT_AUTH_MODES as readonly string[]).includes(mode)) {
          throw new Error(`must be one of ${TLS_CLIENT_AUTH_MODES.join(', ')}`);
        }
        if (mode !== 'none' && !isSet(CERT)) {
          throw new Error(`needs ${CERT} and ${KEY}: only a TLS server can ask for certificates`);
        }
        return mode as TlsClientAuth;
      },
    } satisfies ConfigField<TlsClientAuth>,
    /** Outside development, the explicit choice to serve and dial gRPC without TLS. */
    grpcPlaintext: {
      env: PLAINTEXT,
      parse(raw) {
        if (raw === undefined) return false;
        const value = raw.trim().toLowerCase();
        if (value !== 'true' && value !== '1' && value !== 'false' && value !== '0') {
          throw new Error('must be true or false');
        }
        const on = value === 'true' || value === '1';
        if (on && (isSet(CERT) || isSet(CA))) {
          throw new Error(`cannot be true while ${CERT} or ${CA} is set`);
        }
        return on;
      },
    } satisfies ConfigField<boolean>,
  };
}
