import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  DeliveryMode,
  DeliverySchema,
  DeliveryStatus,
  EventFilterSchema,
  SubscriptionSchema,
  type Delivery,
  type EventFilter,
  type FieldCondition,
  type Subscription,
} from '@switchboard/contracts';
import type { ConditionRule, FilterRules } from './matching/event-filter-rules';
import type { StoredDeliveryMode, StoredDeliveryStatus } from './subscription-schema';

export const storedMode = (mode: DeliveryMode): StoredDeliveryMode =>
  mode === DeliveryMode.STRUCTURED ? 'structured' : 'binary';

export const modeOf = (mode: StoredDeliveryMode): DeliveryMode =>
  mode === 'structured' ? DeliveryMode.STRUCTURED : DeliveryMode.BINARY;

const STATUS: Record<StoredDeliveryStatus, DeliveryStatus> = {
  pending: DeliveryStatus.PENDING,
  delivered: DeliveryStatus.DELIVERED,
  dead_lettered: DeliveryStatus.DEAD_LETTERED,
};

export const statusOf = (status: StoredDeliveryStatus): DeliveryStatus => STATUS[status];

export function storedStatus(status: DeliveryStatus): StoredDeliveryStatus | undefined {
  return (Object.keys(STATUS) as StoredDeliveryStatus[]).find((k) => STATUS[k] === status);
}

function conditionOf(rule: ConditionRule): Omit<FieldCondition, '$typeName' | '$unknown'> {
  if ('equals' in rule) return { field: rule.field, test: { case: 'equals', value: rule.equals } };
  if ('prefix' in rule) return { field: rule.field, test: { case: 'prefix', value: rule.prefix } };
  if ('exists' in rule) return { field: rule.field, test: { case: 'exists', value: rule.exists } };
  return {
    field: rule.field,
    test: {
      case: 'range',
      value: { $typeName: 'switchboard.subscription.v1.NumericRange', ...rule.range },
    },
  };
}

export function filterOf(rules: FilterRules): EventFilter {
  return create(EventFilterSchema, {
    types: [...(rules.types ?? [])],
    sources: [...(rules.sources ?? [])],
    conditions: (rules.conditions ?? []).map(conditionOf),
  });
}

export interface SubscriptionRow {
  subscription_id: string;
  sink_url: string;
  filter: unknown;
  mode: StoredDeliveryMode;
  paused: boolean;
  description: string;
  created_at: Date;
}

export function subscriptionOf(row: SubscriptionRow): Subscription {
  return create(SubscriptionSchema, {
    subscriptionId: row.subscription_id,
    sinkUrl: row.sink_url,
    filter: filterOf(row.filter as FilterRules),
    mode: modeOf(row.mode),
    paused: row.paused,
    description: row.description,
    createTime: timestampFromDate(row.created_at),
  });
}

export interface DeliveryRow {
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: StoredDeliveryStatus;
  attempts: number;
  last_http_status: number;
  last_error: string;
  created_at: Date;
  updated_at: Date;
}

export function deliveryOf(row: DeliveryRow): Delivery {
  return create(DeliverySchema, {
    deliveryId: row.delivery_id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: statusOf(row.status),
    attempts: row.attempts,
    lastHttpStatus: row.last_http_status,
    lastError: row.last_error,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}
