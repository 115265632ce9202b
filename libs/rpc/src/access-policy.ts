import type { DescService } from '@bufbuild/protobuf';
import type { Access, AccessPolicy } from '@switchboard/contracts';

// The types live with the contracts, beside every service's declared policy.
export type { Access, AccessPolicy } from '@switchboard/contracts';

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
