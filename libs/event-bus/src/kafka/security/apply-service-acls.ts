import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  ResourcePatternTypes,
  type AclEntry,
} from 'kafkajs';
import type { KafkaSecurityConfig } from '@switchboard/config';
import type { Logger } from '@switchboard/logger';
import { createKafkaLogCreator, kafkaLogLevelFor } from '../create-kafka-log-creator';
import { createKafkaSecurity } from './create-kafka-security';
import { serviceAcls, servicePrincipals, type ServiceAcl } from './service-acls';
import { silenceKafkajsTimerWarning } from '../silence-kafkajs-timer-warning';

export interface ApplyServiceAclsOptions {
  readonly brokers: readonly string[];
  /** Credentials of a principal allowed to alter ACLs (a super user). */
  readonly security?: KafkaSecurityConfig;
  readonly logger: Logger;
  /** Defaults to the plan derived from the topic registry (serviceAcls()). */
  readonly acls?: readonly ServiceAcl[];
  /** How long to wait for the broker to show the change (default 15 s). */
  readonly settleTimeoutMs?: number;
}

export interface AppliedServiceAcls {
  readonly created: readonly ServiceAcl[];
  /** Rules a service principal had that the plan no longer grants. */
  readonly removed: readonly string[];
  readonly unchanged: number;
}

const RESOURCE_TYPES = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
} as const;

const OPERATIONS = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  describe: AclOperationTypes.DESCRIBE,
  'idempotent-write': AclOperationTypes.IDEMPOTENT_WRITE,
} as const;

/**
 * Makes the broker's ACLs for the service principals equal the plan: what is
 * missing is created, and whatever else those principals were granted is
 * deleted, so a topic that changed owner stops being writable by the old one.
 * Other principals (super users, people) are left alone. Safe to run again.
 */
export async function applyServiceAcls(
  options: ApplyServiceAclsOptions,
): Promise<AppliedServiceAcls> {
  silenceKafkajsTimerWarning();
  const plan = options.acls ?? serviceAcls();
  const wanted = new Map(plan.map((acl) => [entryKey(toEntry(acl)), acl]));
  const kafka = new Kafka({
    clientId: 'switchboard-acls',
    brokers: [...options.brokers],
    logLevel: kafkaLogLevelFor(options.logger),
    logCreator: createKafkaLogCreator(options.logger),
    ...createKafkaSecurity(options.security),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    /** The rules the service principals hold now, as the broker's authorizer sees them. */
    const describe = async () => {
      const present = new Map<string, AclEntry>();
      for (const principal of servicePrincipals(plan)) {
        const described = await admin.describeAcls({
          resourceType: AclResourceTypes.ANY,
          resourcePatternType: ResourcePatternTypes.ANY,
          principal,
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        });
        for (const resource of described.resources) {
          for (const acl of resource.acls) {
            const entry: AclEntry = {
              resourceType: resource.resourceType,
              resourceName: resource.resourceName,
              resourcePatternType: resource.resourcePatternType,
              ...acl,
            };
            present.set(entryKey(entry), entry);
          }
        }
      }
      return present;
    };
    const present = await describe();
    const missing = [...wanted].filter(([key]) => !present.has(key)).map(([, acl]) => acl);
    const stale = [...present].filter(([key]) => !wanted.has(key)).map(([, entry]) => entry);
    if (missing.length > 0) await admin.createAcls({ acl: missing.map(toEntry) });
    if (stale.length > 0) {
      // Each filter names every field, so it matches exactly that one rule.
      await admin.deleteAcls({ filters: stale });
    }
    if (missing.length > 0 || stale.length > 0) {
      // The controller has committed the change, but a broker applies it to
      // its authorizer a moment later; until then a service could still be
      // refused (or allowed). Return only once the broker answers with the plan.
      await waitUntilInForce(describe, wanted, options.settleTimeoutMs ?? 15_000);
    }
    const removed = stale.map(entryKey);
    options.logger.info(
      { created: missing.length, removed: removed.length, unchanged: plan.length - missing.length },
      'service ACLs applied',
    );
    return { created: missing, removed, unchanged: plan.length - missing.length };
  } finally {
    await admin.disconnect();
  }
}

async function waitUntilInForce(
  describe: () => Promise<Map<string, AclEntry>>,
  wanted: Map<string, ServiceAcl>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const present = await describe();
    if (present.size === wanted.size && [...wanted.keys()].every((key) => present.has(key))) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`the broker did not show the applied ACLs within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function toEntry(acl: ServiceAcl): AclEntry {
  return {
    resourceType: RESOURCE_TYPES[acl.resourceType],
    resourceName: acl.resourceName,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: acl.principal,
    host: '*',
    operation: OPERATIONS[acl.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

function entryKey(entry: AclEntry): string {
  return [
    entry.principal,
    entry.host,
    entry.resourceType,
    entry.resourcePatternType,
    entry.resourceName,
    entry.operation,
    entry.permissionType,
  ].join('|');
}
