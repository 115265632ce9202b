import { Role } from '@switchboard/contracts';
import type { UserRole } from './auth-schema';

const protoRoles: Record<UserRole, Role> = {
  admin: Role.ADMIN,
  customer: Role.CUSTOMER,
};

/** The wire enum for a stored role; the two lists are kept in step here only. */
export function toProtoRole(role: UserRole): Role {
  return protoRoles[role];
}
