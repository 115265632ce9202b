import type { ConsoleTarget } from '@switchboard/console';
import { serviceNames } from '@switchboard/contracts';
import type { ConsoleConfig } from './load-console-config';

/** What the console watches and calls: the seven services and the edge, from the config. */
export function consoleTargetsOf(config: ConsoleConfig): ConsoleTarget[] {
  return [
    { id: serviceNames.auth, kind: 'service', address: config.authAddr },
    { id: serviceNames.inventory, kind: 'service', address: config.inventoryAddr },
    { id: serviceNames.order, kind: 'service', address: config.orderAddr },
    { id: serviceNames.post, kind: 'service', address: config.postAddr },
    { id: serviceNames.notification, kind: 'service', address: config.notificationAddr },
    { id: serviceNames.reporting, kind: 'service', address: config.reportingAddr },
    { id: serviceNames.subscription, kind: 'service', address: config.subscriptionAddr },
    { id: 'edge-gateway', kind: 'edge', address: config.edgeUrl },
  ];
}
