// The public API of the contracts: generated messages and services, plus the topic registry.
export * from './gen/google/api/annotations_pb';
export * from './gen/google/api/http_pb';
// The standard error details every failed call carries (google.rpc.Status).
export * from './gen/google/rpc/error_details_pb';
export * from './gen/google/rpc/status_pb';
export * from './gen/grpc/health/v1/health_pb';
export * from './gen/switchboard/auth/v1/auth_service_pb';
export * from './gen/switchboard/auth/v1/events_pb';
export * from './gen/switchboard/common/v1/money_pb';
export * from './gen/switchboard/console/v1/console_service_pb';
export * from './gen/switchboard/inventory/v1/events_pb';
export * from './gen/switchboard/inventory/v1/inventory_service_pb';
export * from './gen/switchboard/notification/v1/notification_service_pb';
export * from './gen/switchboard/order/v1/events_pb';
export * from './gen/switchboard/order/v1/order_service_pb';
export * from './gen/switchboard/post/v1/events_pb';
export * from './gen/switchboard/post/v1/post_service_pb';
export * from './gen/switchboard/reporting/v1/reporting_service_pb';
export * from './gen/switchboard/subscription/v1/subscription_service_pb';
export * from './consumers';
export * from './topics';
export * from './event-source';
export * from './limits';
export * from './service-names';
// Where each method stands (public, authenticated, admin, service), declared once.
export * from './access/access-policy';
export * from './access/auth-access';
export * from './access/inventory-access';
export * from './access/order-access';
export * from './access/post-access';
export * from './access/notification-access';
export * from './access/console-access';
export * from './access/subscription-access';
