import type { InboxDatabase } from '@switchboard/event-bus';
import type { ColumnType, Generated } from '@switchboard/storage';

/** How a delivery is POSTed: the CloudEvents HTTP binding's binary or structured mode. */
export type StoredDeliveryMode = 'binary' | 'structured';

export type StoredDeliveryStatus = 'pending' | 'delivered' | 'dead_lettered';

export interface SubscriptionsTable {
  subscription_id: string;
  sink_url: string;
  /** The EventFilter as proto3 JSON, already validated: matching reads it as is. */
  filter: ColumnType<unknown, string, string>;
  mode: StoredDeliveryMode;
  paused: ColumnType<boolean, boolean | undefined, boolean>;
  description: string;
  /** The signing secret, sealed (AES-256-GCM) with SUBSCRIPTION_SECRET_KEY. */
  secret_sealed: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  /** Set by Delete: the row stays so queued jobs can be told apart from unknown ones. */
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Creation order, for paging (int8: a bigint). */
  seq: Generated<bigint>;
}

export interface DeliveriesTable {
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  /** The job body as sent to the queue (common to both parts): deliveryId, subscriptionId, event. */
  job: ColumnType<unknown, string, never>;
  status: ColumnType<StoredDeliveryStatus, StoredDeliveryStatus | undefined, StoredDeliveryStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  last_http_status: ColumnType<number, number | undefined, number>;
  last_error: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** When the work queue confirmed the job; null: the dispatcher still has to send it. */
  sent_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Until when a dispatcher replica holds the row while it sends; null or past: free. */
  claimed_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Insertion order, for the dispatcher and for paging (int8: a bigint). */
  seq: Generated<bigint>;
}

export interface SubscriptionDatabase extends InboxDatabase {
  subscriptions: SubscriptionsTable;
  deliveries: DeliveriesTable;
}
