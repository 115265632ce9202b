import type { DescService } from '@bufbuild/protobuf';

/**
 * - public — anyone may call; a token, if sent, must still be valid.
 * - authenticated — a valid bearer token.
 * - admin — a valid bearer token whose caller has the admin role.
 */
export type Access = 'public' | 'authenticated' | 'admin';

/** Declared next to the service implementation, so access is reviewed with the code. */
export interface AccessPolicy<Desc extends DescService = DescService> {
  default: Access;
  methods?: { [K in keyof Desc['method']]?: Access };
}

/** Secure by default: a service registered without a policy requires a token everywhere. */
export function resolveAccess(policy: AccessPolicy | undefined, localName: string): Access {
  if (policy === undefined) return 'authenticated';
  const methods: Partial<Record<string, Access>> = policy.methods ?? {};
  return methods[localName] ?? policy.default;
}
