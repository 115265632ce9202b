import { Code, ConnectError } from '@connectrpc/connect';
import type { InventoryService, ReservedItem } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import {
  domainErrorOf,
  errorDetailsOf,
  type ServiceClient,
  type ServiceIdentity,
} from '@switchboard/rpc';
import { retryUnavailable, type RetryOptions } from './retry-unavailable';
import type { RequestedItem } from './validate-order-requests';

export interface ReservedLine {
  sku: string;
  quantity: number;
  currencyCode: string;
  unitPriceMinor: bigint;
}

/**
 * The inventory as the order service uses it. Every call goes as the order
 * service's own identity, since the reservation methods are internal; the
 * customer a reservation is for is named in the request, never by passing on
 * their token.
 */
export interface InventoryGateway {
  /**
   * Sells the order's stock in one inventory transaction: all or nothing;
   * idempotent by order id, so it is retried when inventory is unavailable;
   * refused once the order id was voided.
   */
  allocate(
    orderId: string,
    items: readonly RequestedItem[],
    customerId: string,
  ): Promise<ReservedLine[]>;
  /**
   * Makes the order id's fate final: its sold lines, or undefined when nothing
   * is sold (and from now on nothing can be) for it. Idempotent.
   */
  voidAllocation(orderId: string): Promise<ReservedLine[] | undefined>;
  /** Held stock becomes sold (orders placed before AllocateStock). Idempotent. */
  commit(reservationId: string): Promise<void>;
  /** Held stock becomes available again. Idempotent; a released or expired one is fine. */
  release(reservationId: string): Promise<void>;
  /**
   * Sold stock of a committed reservation goes back on hand (a cancelled
   * order). Idempotent, so it is retried when inventory is unavailable.
   */
  returnCommitted(reservationId: string): Promise<void>;
}

export interface InventoryGatewayOptions {
  client: ServiceClient<typeof InventoryService>;
  /** The order service's service token, from auth. */
  identity: ServiceIdentity;
  /** Budget of one step, retries included; the incoming call's deadline caps it further. */
  timeoutMs: number;
  retry?: Omit<RetryOptions, 'signal'>;
}

/**
 * Inventory refusals this service explains to its own callers under the same
 * code: the inventory's message already names the skus or the reservation.
 */
const passedThrough = new Set<string>([
  'PRODUCT_NOT_FOUND',
  'INSUFFICIENT_STOCK',
  'RESERVATION_NOT_FOUND',
  'RESERVATION_CLOSED',
  'RESERVATION_MISMATCH',
]);

/**
 * Turns an inventory failure into this service's terms. A transport failure
 * keeps its meaning (unavailable, timed out) with a message naming the step;
 * a known refusal becomes the same DomainError; anything else (e.g. an
 * INVALID_ARGUMENT for a request this service validated itself) is a bug and
 * stays a ConnectError, which the edge answers as INTERNAL.
 */
function translate(err: unknown, step: string): unknown {
  if (!(err instanceof ConnectError)) return err;
  if (err.code === Code.Unavailable) {
    return new DomainError('DEPENDENCY_UNAVAILABLE', `inventory-service is unavailable (${step})`, {
      cause: err,
    });
  }
  if (err.code === Code.DeadlineExceeded) {
    return new DomainError(
      'DEPENDENCY_TIMEOUT',
      `inventory-service did not answer in time (${step})`,
      {
        cause: err,
      },
    );
  }
  if (err.code === Code.Unauthenticated || err.code === Code.PermissionDenied) {
    // Inventory refused this service's own identity: a deployment fault
    // (credentials, keys), not the customer's, and one that may clear.
    return new DomainError(
      'DEPENDENCY_UNAVAILABLE',
      `inventory-service refused this service (${step})`,
      {
        cause: err,
      },
    );
  }
  const refusal = domainErrorOf(err);
  return refusal !== undefined && passedThrough.has(refusal.code) ? refusal : err;
}

function reservedLine(item: ReservedItem): ReservedLine {
  return {
    sku: item.sku,
    quantity: item.quantity,
    currencyCode: item.unitPrice?.currencyCode ?? '',
    unitPriceMinor: item.unitPrice?.amountMinor ?? 0n,
  };
}

export function createInventoryGateway(options: InventoryGatewayOptions): InventoryGateway {
  const { client, timeoutMs, identity } = options;

  /** One try as this service; a service token that went stale is renewed once. */
  async function asService<T>(
    call: (headers: Record<string, string>) => Promise<T>,
    renewed = false,
  ): Promise<T> {
    const authorization = await identity.authorization();
    try {
      return await call({ authorization });
    } catch (err) {
      if (
        renewed ||
        !(err instanceof ConnectError) ||
        errorDetailsOf(err).reason !== 'SERVICE_TOKEN_INVALID'
      )
        throw err;
      identity.invalidate();
      return asService(call, true);
    }
  }

  /** One step: tries until its budget is spent; each try gets what is left of it. */
  async function step<T>(
    name: string,
    call: (opts: { timeoutMs: number; headers: Record<string, string> }) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    try {
      return await retryUnavailable(async () => {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new ConnectError(`${name}: no time left to retry`, Code.DeadlineExceeded);
        return asService((headers) =>
          call({ timeoutMs: Math.max(1, deadline - Date.now()), headers }),
        );
      }, options.retry);
    } catch (err) {
      throw translate(err, name);
    }
  }

  return {
    async allocate(orderId, items, customerId) {
      const res = await step('AllocateStock', (opts) =>
        client.allocateStock({ orderId, items: [...items], customerId }, opts),
      );
      return res.items.map(reservedLine);
    },

    async voidAllocation(orderId) {
      const res = await step('VoidAllocation', (opts) => client.voidAllocation({ orderId }, opts));
      return res.allocated ? res.items.map(reservedLine) : undefined;
    },

    async commit(reservationId) {
      await step('CommitReservation', (opts) => client.commitReservation({ reservationId }, opts));
    },

    async release(reservationId) {
      await step('ReleaseReservation', (opts) =>
        client.releaseReservation({ reservationId }, opts),
      );
    },

    async returnCommitted(reservationId) {
      await step('ReturnReservation', (opts) => client.returnReservation({ reservationId }, opts));
    },
  };
}
