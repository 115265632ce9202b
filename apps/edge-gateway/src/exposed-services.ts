import { hasOption, type DescMethod, type DescService } from '@bufbuild/protobuf';
import {
  AuthService,
  InventoryService,
  NotificationService,
  OrderService,
  PostService,
  authServiceAccess,
  http,
  inventoryAccessPolicy,
  notificationAccessPolicy,
  orderAccessPolicy,
  postAccessPolicy,
  type Access,
  type AccessPolicy,
} from '@switchboard/contracts';

/** The upstream services the edge serves, by the key of their `<KEY>_ADDR`. */
export type UpstreamKey = 'auth' | 'inventory' | 'order' | 'post' | 'notification';

export interface ExposedService {
  readonly key: UpstreamKey;
  readonly desc: DescService;
  /** Every method with an HTTP route whose access is not `service`, in proto order. */
  readonly methods: readonly DescMethod[];
  /** The declared access of one of them. */
  accessOf(method: DescMethod): Access;
}

function exposed<D extends DescService>(
  key: UpstreamKey,
  desc: D,
  policy: AccessPolicy<D>,
): ExposedService {
  const accessOf = (m: DescMethod): Access | undefined =>
    (policy as Record<string, Access | undefined>)[m.localName];
  return {
    key,
    desc,
    accessOf: (m) => accessOf(m) ?? 'service',
    // Admin methods pass through: the service checks the caller's role itself.
    // A method with no access declared is never exposed, and neither is one the
    // contract gives no HTTP route (IssueServiceToken: only services call it).
    methods: desc.methods.filter((m) => {
      const access = accessOf(m);
      return access !== undefined && access !== 'service' && hasOption(m, http);
    }),
  };
}

/**
 * What the edge serves, read from the contracts: the access policies the
 * services enforce say who may call a method, its google.api.http option
 * says that it belongs on the HTTP face at all. Nothing is listed twice, and
 * an internal method can only reach the outside by changing the policy of
 * its service.
 */
export function exposedServices(): readonly ExposedService[] {
  return [
    exposed('auth', AuthService, authServiceAccess),
    exposed('inventory', InventoryService, inventoryAccessPolicy),
    exposed('order', OrderService, orderAccessPolicy),
    exposed('post', PostService, postAccessPolicy),
    exposed('notification', NotificationService, notificationAccessPolicy),
  ];
}
