/**
 * Every secret value this repository publishes: development defaults, the
 * demo account, the passwords in the README's examples and in the deploy
 * files. Anyone can read them here, so outside development a service refuses
 * to start with one of them. A test checks that each development default in
 * the code is listed.
 */
export const publishedSecrets: readonly string[] = [
  'switchboard-admin',
  'switchboard-demo',
  'correct-horse-battery',
  'postgres',
  'dev-auth-service-secret',
  'dev-inventory-service-secret',
  'dev-order-service-secret',
  'dev-post-service-secret',
  'dev-notification-service-secret',
  'dev-reporting-service-secret',
  'dev-subscription-service-secret',
  'dev-subscription-secret-key-published-in-this-repo',
  'dev-auth-key-encryption-key-published-in-this-repo',
];

const published = new Set(publishedSecrets);

export function isPublishedSecret(value: string): boolean {
  return published.has(value);
}
