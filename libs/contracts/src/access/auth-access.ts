import type { AuthService } from '../gen/switchboard/auth/v1/auth_service_pb';
import type { AccessPolicy } from './access-policy';

/**
 * Register, Login and IssueServiceToken make tokens, so they are public;
 * for RevokeToken holding the token is the proof; the public keys are public.
 * VerifyToken is for services: it would let anyone test stolen tokens.
 * Managing the signing keys is for the admin.
 */
export const authServiceAccess: AccessPolicy<typeof AuthService> = {
  register: 'public',
  login: 'public',
  issueServiceToken: 'public',
  revokeToken: 'public',
  getJwks: 'public',
  verifyToken: 'service',
  listSigningKeys: 'admin',
  revokeSigningKey: 'admin',
};
