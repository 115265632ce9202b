import type { OutboxDatabase } from '@switchboard/event-bus';
import type { ColumnType } from '@switchboard/storage';

/**
 * One row per product. Stock is kept as two counters rather than one
 * "available" number: `on_hand` is what the warehouse holds, `reserved` what
 * open reservations hold of it. Available = on_hand - reserved. Committing a
 * reservation lowers both; releasing lowers only `reserved`. A CHECK
 * constraint keeps 0 <= reserved <= on_hand, so even a bug cannot oversell.
 */
export interface ProductsTable {
  sku: string;
  name: string;
  currency_code: string;
  /** int8: money is an int64 in the contract, and comes back as bigint. */
  price_minor: bigint;
  on_hand: number;
  reserved: ColumnType<number, number | undefined, number>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/**
 * held: stock is set aside; committed: it was sold; released: the caller gave
 * it back; expired: the sweeper gave it back after the TTL; returned: sold
 * stock came back on hand (a cancelled order). `held` changes to committed,
 * released or expired; `committed` only to returned; the others are final.
 */
export type ReservationStatus = 'held' | 'committed' | 'released' | 'expired' | 'returned';

export interface ReservationsTable {
  reservation_id: string;
  /** The user whose token reserved; only they (or an admin) may commit or release. */
  owner_user_id: string;
  status: ReservationStatus;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date;
  /** When it was committed, released or expired. */
  closed_at: Date | null;
  /** When its sold stock came back on hand; null unless returned. */
  returned_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface ReservationItemsTable {
  reservation_id: string;
  sku: string;
  /** The item's place in the original request, so a replay answers in the same order. */
  position: number;
  quantity: number;
  /** The price when reserved: the order is charged this even if the catalog changes later. */
  currency_code: string;
  price_minor: bigint;
}

/** The outbox's tables are part of this database: events commit with the changes they announce. */
export interface InventoryDatabase extends OutboxDatabase {
  products: ProductsTable;
  reservations: ReservationsTable;
  reservation_items: ReservationItemsTable;
}
