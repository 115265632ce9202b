import { Role } from '@switchboard/contracts';
import type { TokenRole } from './token-service';

const protoRoles: Record<TokenRole, Role> = {
  admin: Role.ADMIN,
  customer: Role.CUSTOMER,
  service: Role.SERVICE,
};

/** The wire enum for a token's role; the two lists are kept in step here only. */
export function toProtoRole(role: TokenRole): Role {
  return protoRoles[role];
}
