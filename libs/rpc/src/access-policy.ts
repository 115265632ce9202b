import type { DescService } from '@bufbuild/protobuf';

/**
 * - public — anyone may call; a token, if sent, must still be valid.
 * - authenticated — any valid bearer token: a person's or a service's.
 * - admin — a valid bearer token whose caller has the admin role.
 * - service — a service identity only (a service token, or a client
 *   certificate under mTLS): the internal methods no person may call, admins
 *   included.
 */
export type Access = 'public' | 'authenticated' | 'admin' | 'service';

/**
 * Every method's access, declared next to the service implementation so it is
 * reviewed with the code. There is no default: a method added to the proto
 * without a line here fails to compile, and fails the start if the types are
 * bypassed.
 */
export type AccessPolicy<Desc extends DescService = DescService> = {
  readonly [K in keyof Desc['method']]: Access;
};

const accessLevels: ReadonlySet<string> = new Set<Access>([
  'public',
  'authenticated',
  'admin',
  'service',
]);

/** The declared access of one method; throws at registration when there is none. */
export function resolveAccess(policy: AccessPolicy, desc: DescService, localName: string): Access {
  const access: unknown = (policy as Record<string, unknown>)[localName];
  if (typeof access !== 'string' || !accessLevels.has(access)) {
    throw new Error(
      `${desc.typeName}: method ${localName} has no access declared (public, authenticated, admin or service)`,
    );
  }
  return access as Access;
}

/**
 * The same access for every method of a service, for services whose methods
 * truly share it (grpc.health.v1 is public throughout) and for tests.
 */
export function uniformAccess<Desc extends DescService>(
  desc: Desc,
  access: Access,
): AccessPolicy<Desc> {
  return Object.fromEntries(desc.methods.map((m) => [m.localName, access])) as AccessPolicy<Desc>;
}
