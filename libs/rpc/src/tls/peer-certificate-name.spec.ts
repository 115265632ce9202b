import type { PeerCertificate } from 'node:tls';
import { peerCertificateName } from './peer-certificate-name';

const callWith = (certificate: Partial<PeerCertificate> | undefined) => ({
  getAuthContext: () =>
    certificate === undefined
      ? {}
      : { transportSecurityType: 'ssl', sslPeerCertificate: certificate as PeerCertificate },
});

describe('peerCertificateName', () => {
  it('is the subject CN of the verified certificate', () => {
    const call = callWith({ subject: { CN: 'order-service' } as PeerCertificate['subject'] });
    expect(peerCertificateName(call)).toBe('order-service');
  });

  it('falls back to the first plain DNS name when there is no single CN', () => {
    const subjectaltname = 'IP Address:127.0.0.1, DNS:"odd,name", DNS:inventory-service';
    expect(peerCertificateName(callWith({ subject: {} as never, subjectaltname }))).toBe(
      'inventory-service',
    );
    const twoCns = { CN: ['a', 'b'] } as unknown as PeerCertificate['subject'];
    expect(peerCertificateName(callWith({ subject: twoCns, subjectaltname: 'DNS:x' }))).toBe('x');
  });

  it('is undefined without a verified certificate', () => {
    // grpc-js reports an empty context for plaintext and for unverified certificates.
    expect(peerCertificateName(callWith(undefined))).toBeUndefined();
    expect(peerCertificateName(callWith({ subject: {} as never }))).toBeUndefined();
  });
});
