import type * as grpc from '@grpc/grpc-js';

type AuthContext = ReturnType<grpc.ServerUnaryCall<unknown, unknown>['getAuthContext']>;

/**
 * The name in the client certificate of a call's connection: its subject CN,
 * or its first DNS name when it has no CN. Only a certificate the server
 * verified against its CA counts (grpc-js reports nothing for a connection
 * whose certificate failed verification, as `request` mode lets in), so
 * undefined means plaintext, no certificate, or an unverified one.
 */
export function peerCertificateName(call: { getAuthContext(): AuthContext }): string | undefined {
  const certificate = call.getAuthContext().sslPeerCertificate;
  if (certificate === undefined) return undefined;
  const cn = certificate.subject?.CN;
  // Node gives a repeated attribute as an array; one name or none, never a guess.
  if (typeof cn === 'string' && cn !== '') return cn;
  // Node quotes a name with unusual characters; such a name is not taken.
  for (const entry of certificate.subjectaltname?.split(', ') ?? []) {
    const dns = /^DNS:([A-Za-z0-9.-]+)$/.exec(entry)?.[1];
    if (dns !== undefined) return dns;
  }
  return undefined;
}
