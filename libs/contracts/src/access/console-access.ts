import type { ConsoleService } from '../gen/switchboard/console/v1/console_service_pb';
import type { AccessPolicy } from './access-policy';

/**
 * The console is a development tool bound to loopback: what it shows is open
 * to whoever reaches its port. Redrive changes what services consume, so it is
 * the admin's. Invoke forwards the caller's own token, and the target service
 * applies its own policy to it.
 */
export const consoleAccessPolicy: AccessPolicy<typeof ConsoleService> = {
  watchSystem: 'public',
  listTraces: 'public',
  getTrace: 'public',
  listTopics: 'public',
  tailTopic: 'public',
  listDeadLetters: 'public',
  redriveDeadLetters: 'admin',
  listServices: 'public',
  invoke: 'public',
};
