import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from '@switchboard/storage';

/** The one row that says which relay replica may publish. */
export interface OutboxLease {
  /**
   * True when this relay may publish. The lease is written only when a third
   * of it has gone by, not per batch: a busy relay spends its round trips on
   * rows, and is still at least two thirds of a lease away from expiry when it
   * starts a publish. Local time only decides when to renew; expiry is
   * compared in database time.
   */
  hold(): Promise<boolean>;
  /** Hands the lease over at once rather than making a replica wait it out. */
  release(): Promise<void>;
}

export function createOutboxLease<DB>(db: Kysely<DB>, leaseMs: number): OutboxLease {
  const holder = randomUUID();
  /** Date.now() before the last successful lease write; -Infinity when not holding it. */
  let leaseTakenAt = -Infinity;

  /** Takes or renews the lease row; true when this relay holds it. */
  async function writeLease(): Promise<boolean> {
    // Database time on both sides of the comparison: replicas' clocks may disagree.
    const result = await sql<{ holder: string }>`
      insert into outbox_lease (name, holder, expires_at)
      values ('relay', ${holder}, now() + ${leaseMs}::int * interval '1 millisecond')
      on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
      where outbox_lease.holder = ${holder} or outbox_lease.expires_at < now()
      returning holder`.execute(db);
    return result.rows.length === 1;
  }

  return {
    async hold() {
      if (Date.now() - leaseTakenAt < leaseMs / 3) return true;
      const at = Date.now();
      const held = await writeLease();
      leaseTakenAt = held ? at : -Infinity;
      return held;
    },
    async release() {
      await sql`delete from outbox_lease where name = 'relay' and holder = ${holder}`.execute(db);
    },
  };
}
