// Test support: the real auth service in a process of its own, so the
// subscription service checks real tokens. Not shipped.
import { AuthService } from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import { createTestDatabase, startServiceProcess, type ServiceProcess } from '@switchboard/testing';

const ADMIN = {
  email: 'subscription-spec-admin@example.com',
  password: 'subscription-spec-admin-password',
} as const;

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

export interface RealAuth {
  readonly address: string;
  /** Call options with the seeded admin's token. */
  readonly admin: { headers: Record<string, string> };
  /** Call options with a registered customer's token. */
  readonly customer: { headers: Record<string, string> };
  close(): Promise<void>;
}

export async function startRealAuth(): Promise<RealAuth> {
  const database = await createTestDatabase('subscription_spec_auth');
  let service: ServiceProcess | undefined;
  let transport: ReturnType<typeof createGrpcJsTransport> | undefined;
  const close = async () => {
    transport?.close();
    await service?.stop();
    await database.drop();
  };
  try {
    service = await startServiceProcess({
      app: 'auth-service',
      env: {
        AUTH_DATABASE_URL: database.url,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      },
    });
    transport = createGrpcJsTransport({ address: service.address, defaultTimeoutMs: 30_000 });
    const client = createServiceClient(AuthService, transport);
    const admin = await client.login(ADMIN);
    const email = `subscription-customer-${Date.now()}@example.com`;
    const password = 'correct horse battery';
    await client.register({ email, password, displayName: 'Customer' });
    const customer = await client.login({ email, password });
    return {
      address: service.address,
      admin: bearer(admin.accessToken),
      customer: bearer(customer.accessToken),
      close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
