import { env, loadServiceConfig, serviceAddress, type Env } from '@switchboard/config';

const orderSchema = {
  inventoryAddr: serviceAddress('inventory'),
  /** Budget for checking a caller's token with AuthService.VerifyToken. */
  verifyTokenTimeoutMs: env.int('ORDER_VERIFY_TOKEN_TIMEOUT_MS', {
    default: 500,
    min: 50,
    max: 30_000,
  }),
  /**
   * Budget for one inventory step (AllocateStock, VoidAllocation,
   * CommitReservation, ReleaseReservation or ReturnReservation), retries
   * included. The incoming call's deadline caps it. The settler leaves a
   * pending order alone for twice this: its request may still be at it.
   */
  reserveTimeoutMs: env.int('ORDER_RESERVE_TIMEOUT_MS', { default: 2_000, min: 50, max: 60_000 }),
  /** How long an idempotency key answers with its order; purged afterwards. */
  idempotencyKeyTtlMs: env.int('ORDER_IDEMPOTENCY_KEY_TTL_MS', {
    default: 24 * 60 * 60_000,
    min: 60_000,
    max: 30 * 24 * 60 * 60_000,
  }),
  /** How often unfinished reservation work (commits, stock returns) is retried. */
  settleIntervalMs: env.int('ORDER_SETTLE_INTERVAL_MS', { default: 5_000, min: 100, max: 600_000 }),
};

export function loadOrderConfig(source: Env = process.env) {
  return loadServiceConfig('order', orderSchema, source);
}

export type OrderConfig = ReturnType<typeof loadOrderConfig>;
