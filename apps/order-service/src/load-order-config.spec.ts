import { ConfigError } from '@switchboard/config';
import { loadOrderConfig } from './load-order-config';

describe('loadOrderConfig', () => {
  it('defaults to a 500 ms VerifyToken, 2 s inventory steps and 24 h keys', () => {
    expect(loadOrderConfig({ SWITCHBOARD_ENV: 'development' })).toMatchObject({
      service: 'order-service',
      port: 50053,
      metricsPort: 9463,
      inventoryAddr: '127.0.0.1:50052',
      authAddr: '127.0.0.1:50051',
      verifyTokenTimeoutMs: 500,
      reserveTimeoutMs: 2_000,
      idempotencyKeyTtlMs: 86_400_000,
      settleIntervalMs: 5_000,
      serviceSecret: 'dev-order-service-secret',
    });
  });

  it('reads ORDER_METRICS_PORT, where 0 means any free port, and names it when bad', () => {
    const dev = { SWITCHBOARD_ENV: 'development' };
    expect(loadOrderConfig({ ...dev, ORDER_METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(loadOrderConfig({ ...dev, ORDER_METRICS_PORT: '19463' }).metricsPort).toBe(19463);
    expect(() => loadOrderConfig({ ...dev, ORDER_METRICS_PORT: 'http' })).toThrow(
      /ORDER_METRICS_PORT/,
    );
  });

  it('reads the order variables', () => {
    const config = loadOrderConfig({
      SWITCHBOARD_ENV: 'development',
      INVENTORY_ADDR: '127.0.0.1:6052',
      ORDER_VERIFY_TOKEN_TIMEOUT_MS: '250',
      ORDER_RESERVE_TIMEOUT_MS: '1500',
      ORDER_IDEMPOTENCY_KEY_TTL_MS: '3600000',
      ORDER_SETTLE_INTERVAL_MS: '1000',
      ORDER_SERVICE_SECRET: 'a-long-order-secret',
    });
    expect(config).toMatchObject({
      inventoryAddr: '127.0.0.1:6052',
      verifyTokenTimeoutMs: 250,
      reserveTimeoutMs: 1_500,
      idempotencyKeyTtlMs: 3_600_000,
      settleIntervalMs: 1_000,
      serviceSecret: 'a-long-order-secret',
    });
  });

  it('lists every bad variable at once', () => {
    let caught: unknown;
    try {
      loadOrderConfig({
        SWITCHBOARD_ENV: 'development',
        ORDER_RESERVE_TIMEOUT_MS: '2s',
        ORDER_IDEMPOTENCY_KEY_TTL_MS: '10',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      'ORDER_RESERVE_TIMEOUT_MS: must be a whole number (got "2s")',
      'ORDER_IDEMPOTENCY_KEY_TTL_MS: must be between 60000 and 2592000000 (got "10")',
    ]);
  });
});
