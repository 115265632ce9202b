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
 * Every method's access, declared once per service beside its contract: the
 * service enforces it and the edge gateway exposes what is not `service`.
 * There is no default: a method added to the proto without a line here fails
 * to compile, and fails the start if the types are bypassed.
 */
export type AccessPolicy<Desc extends DescService = DescService> = {
  readonly [K in keyof Desc['method']]: Access;
};
