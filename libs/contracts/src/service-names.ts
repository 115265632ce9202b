/**
 * The seven services by the names they go by everywhere: the CloudEvents source
 * of their events, their Kafka principal and consumer group, the subject of
 * their service token and the common name of their certificate.
 */
export const serviceNames = {
  auth: 'auth-service',
  inventory: 'inventory-service',
  order: 'order-service',
  post: 'post-service',
  notification: 'notification-service',
  reporting: 'reporting-service',
  subscription: 'subscription-service',
} as const;

export type ServiceName = (typeof serviceNames)[keyof typeof serviceNames];
