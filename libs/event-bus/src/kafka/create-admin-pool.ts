import type { Admin, Kafka } from 'kafkajs';
import { createLazyConnection } from './create-lazy-connection';

/** One lazily connected admin client, shared by every admin call of a bus. */
export interface AdminPool {
  use<T>(fn: (admin: Admin) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function createAdminPool(kafka: Kafka): AdminPool {
  let admin: Admin | undefined;
  const connection = createLazyConnection(
    async () => {
      admin = kafka.admin();
      await admin.connect();
    },
    async () => {
      await admin?.disconnect();
    },
  );
  return {
    async use(fn) {
      await connection.open();
      try {
        return await fn(admin!);
      } catch (err) {
        // A failed call may have left a dead socket behind; reconnect next time.
        await connection.close().catch(() => {});
        throw err;
      }
    },
    close: () => connection.close(),
  };
}
