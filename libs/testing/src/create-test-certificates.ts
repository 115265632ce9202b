import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A certificate and its key, as files (for a process's TLS_* variables) and as bytes. */
export interface TestCertificate {
  readonly name: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TestCertificateAuthority {
  /** The CA certificate, for TLS_CA_FILE. */
  readonly caFile: string;
  readonly ca: Buffer;
  /**
   * A certificate with subject CN `name`, signed by this CA, valid for both
   * ends of a connection (a service's certificate is also its client
   * certificate), with the loopback names a test dials: localhost,
   * 127.0.0.1 and `name` itself.
   */
  issue(name: string): Promise<TestCertificate>;
  /** Deletes the files. */
  remove(): Promise<void>;
}

const run = promisify(execFile);

/** Enough for the slowest test run; an expired certificate would be a different test. */
const VALID_DAYS = '2';

const CA_EXTENSIONS = `
[req]
distinguished_name = dn
[dn]
[ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

function leafExtensions(name: string): string {
  return `
[req]
distinguished_name = dn
[dn]
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,DNS:${name}
`;
}

/** `openssl req -x509` with a new P-256 key: self-signed, or signed by `issuer`. */
async function newCertificate(
  dir: string,
  file: string,
  name: string,
  extensions: string,
  issuer?: { certFile: string; keyFile: string },
): Promise<{ certFile: string; keyFile: string }> {
  const config = join(dir, `${file}.cnf`);
  const certFile = join(dir, `${file}.pem`);
  const keyFile = join(dir, `${file}.key`);
  await writeFile(config, extensions);
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-subj',
    `/CN=${name}`,
    '-days',
    VALID_DAYS,
    '-config',
    config,
    '-extensions',
    'ext',
  ];
  if (issuer !== undefined) args.push('-CA', issuer.certFile, '-CAkey', issuer.keyFile);
  try {
    await run('openssl', args);
  } catch (err) {
    throw new Error(`openssl could not make the test certificate ${name}: ${String(err)}`, {
      cause: err,
    });
  }
  return { certFile, keyFile };
}

let counter = 0;

/**
 * A throwaway certificate authority in a temp directory, made with the
 * openssl command at test time: no key material is committed, and each
 * call is a different CA (so a certificate from another one is a stranger).
 */
export async function createTestCertificates(
  caName = `switchboard-test-ca-${process.pid}-${++counter}`,
): Promise<TestCertificateAuthority> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-pki-'));
  const authority = await newCertificate(dir, 'ca', caName, CA_EXTENSIONS);
  const ca = await readFile(authority.certFile);
  let issued = 0;
  return {
    caFile: authority.certFile,
    ca,
    async issue(name) {
      if (!/^[A-Za-z0-9.-]+$/.test(name)) throw new Error(`not a host-like name: ${name}`);
      const files = await newCertificate(
        dir,
        `${++issued}-${name}`,
        name,
        leafExtensions(name),
        authority,
      );
      return {
        name,
        ...files,
        cert: await readFile(files.certFile),
        key: await readFile(files.keyFile),
      };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
