import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { loadServiceConfig, type ServiceKey } from '@switchboard/config';
import { OrderPlacedSchema, PostCreatedSchema, topics } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import {
  kafkaAnswers,
  startSecureTestBroker,
  startServiceProcess,
  type SecureTestBroker,
} from '@switchboard/testing';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  ResourcePatternTypes,
  logLevel,
} from 'kafkajs';
import {
  applyServiceAcls,
  createKafkaProbe,
  createKafkaSecurity,
  createServiceEventBus,
  serviceAcls,
  type EventBus,
  type EventRecord,
} from '../../index';
import { silenceKafkajsTimerWarning } from '../silence-kafkajs-timer-warning';

// Integration test against a secured broker of this file's own (SASL_SSL with
// SCRAM-SHA-512, StandardAuthorizer, the registry's ACLs applied by
// tools/kafka/local-kafka.mjs --secure): what each principal may and may not do.
const logger = createLogger({ service: 'kafka-security-test', level: 'silent' });

let broker: SecureTestBroker;
const buses: EventBus[] = [];

beforeAll(async () => {
  silenceKafkajsTimerWarning(); // the raw kafkajs clients below would print it otherwise
  broker = await startSecureTestBroker();
}, 240_000);

afterAll(async () => {
  await Promise.allSettled(buses.map((bus) => bus.close()));
  await broker?.stop();
}, 60_000);

/** The variables a service would be started with, read through libs/config like main.ts does. */
function serviceEnv(user: string, password = broker.passwords[user]!): Record<string, string> {
  return {
    SWITCHBOARD_ENV: 'development',
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_SSL_CA_FILE: broker.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: password,
  };
}

function busAs(key: ServiceKey, overrides: Record<string, string | undefined> = {}): EventBus {
  const name = `${key}-service`;
  const config = loadServiceConfig(key, undefined, { ...serviceEnv(name), ...overrides });
  // Short timeouts: refusals must show up as errors quickly, not as retries.
  const bus = createServiceEventBus(config, logger, { requestTimeoutMs: 10_000 });
  buses.push(bus);
  return bus;
}

/** kafkajs wraps protocol errors; collect every error type along the cause chain. */
function errorTypes(err: unknown): string[] {
  const types: string[] = [];
  for (let e = err as Record<string, unknown> | undefined; e;) {
    if (typeof e.type === 'string') types.push(e.type);
    if (typeof e.name === 'string') types.push(e.name);
    e = (e.cause ?? e.originalError) as Record<string, unknown> | undefined;
  }
  return types;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

/** Resolves with the first record a service's consumer group sees on a topic. */
async function firstRecordAs(
  bus: EventBus,
  groupId: string,
  topic: string,
  match: (record: EventRecord) => boolean,
): Promise<EventRecord> {
  let found: (record: EventRecord) => void = () => {};
  const received = new Promise<EventRecord>((resolve) => (found = resolve));
  const consumer = bus.createConsumer({
    kind: 'record',
    groupId,
    topics: [topic],
    onRecord: (record) => {
      if (match(record)) found(record);
    },
  });
  await consumer.start();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      received,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`nothing on ${topic} within 30 s`)), 30_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.stop();
  }
}

describe('a secured broker with the registry ACLs', () => {
  it('refuses reporting-service as a producer on sales.orders.v1', async () => {
    const bus = busAs('reporting');
    const err = await failureOf(
      bus.createProducer().publish(create(OrderPlacedSchema, { orderId: `o-${randomUUID()}` })),
    );
    expect(errorTypes(err)).toContain('TOPIC_AUTHORIZATION_FAILED');
  });

  it('lets order-service publish there, and reporting-service read it in its group', async () => {
    const orderId = `o-${randomUUID()}`;
    const sent = await busAs('order')
      .createProducer()
      .publish(create(OrderPlacedSchema, { orderId, customerId: 'c-1' }));
    expect(sent.topic).toBe(topics.salesOrders.name);
    const record = await firstRecordAs(
      busAs('reporting'),
      'reporting-service',
      topics.salesOrders.name,
      (r) => r.key === orderId,
    );
    expect(record.headers.ce_source).toBe('/switchboard/order-service');
  }, 60_000);

  it('lets a consumer read only the topics it subscribes to', async () => {
    // notification-service subscribes to social.posts.v1 only.
    const authorId = randomUUID();
    await busAs('post')
      .createProducer()
      .publish(create(PostCreatedSchema, { postId: randomUUID(), authorId, text: 'hi' }));
    const record = await firstRecordAs(
      busAs('notification'),
      'notification-service',
      topics.socialPosts.name,
      (r) => r.key === authorId,
    );
    expect(record.topic).toBe(topics.socialPosts.name);

    // The same principal and group on sales.orders.v1: the fetch is refused.
    const config = loadServiceConfig('notification', undefined, serviceEnv('notification-service'));
    const kafka = new Kafka({
      clientId: 'notification-service',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      ...createKafkaSecurity(config.kafkaSecurity),
    });
    const consumer = kafka.consumer({
      groupId: 'notification-service',
      retry: { retries: 0, restartOnFailure: async () => false },
    });
    const crashed = new Promise<unknown>((resolve) =>
      consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error)),
    );
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.salesOrders.name], fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      expect(errorTypes(await crashed)).toContain('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  it('refuses a consumer group the service does not own', async () => {
    // kafkajs reports a refused FindCoordinator only as "coordinator not
    // found"; the broker's actual answer is in its debug log, so read it there.
    const seen: string[] = [];
    const config = loadServiceConfig('notification', undefined, serviceEnv('notification-service'));
    const kafka = new Kafka({
      clientId: 'notification-service',
      brokers: broker.brokers,
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        const error = (entry.log as { error?: { type?: string } }).error;
        if (error?.type) seen.push(error.type);
      },
      retry: { retries: 0 },
      ...createKafkaSecurity(config.kafkaSecurity),
    });
    const consumer = kafka.consumer({
      groupId: 'reporting-service',
      retry: { retries: 0, restartOnFailure: async () => false },
    });
    const crashed = new Promise<unknown>((resolve) =>
      consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error)),
    );
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.socialPosts.name] });
      await consumer.run({ eachMessage: async () => {} });
      expect(errorTypes(await crashed)).toContain('KafkaJSGroupCoordinatorNotFound');
      expect(seen).toContain('GROUP_AUTHORIZATION_FAILED');
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  it('runs a real service as its own principal: SERVING, and its events flow', async () => {
    // Configured as services.env configures npm start: shared CA and mechanism,
    // the service's own user through AUTH_KAFKA_SASL_*.
    const auth = await startServiceProcess({
      app: 'auth-service',
      env: {
        KAFKA_BROKERS: broker.brokers.join(','),
        KAFKA_SSL_CA_FILE: broker.caFile,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        AUTH_KAFKA_SASL_USERNAME: 'auth-service',
        AUTH_KAFKA_SASL_PASSWORD: broker.passwords['auth-service']!,
      },
    });
    try {
      // The seeded admin's UserRegistered, relayed from the outbox as auth-service,
      // read by post-service in its own group.
      const record = await firstRecordAs(
        busAs('post'),
        'post-service',
        topics.identityUsers.name,
        (r) => r.headers.ce_source === '/switchboard/auth-service',
      );
      expect(record.headers.ce_type).toBe('switchboard.auth.v1.UserRegistered');
    } finally {
      await auth.stop();
    }
  }, 120_000);

  it('keeps services healthy: the start-up topic check sees every topic without creating any', async () => {
    const probe = createKafkaProbe(busAs('auth'));
    await expect(probe()).resolves.toBeUndefined();
    await expect(probe()).resolves.toBeUndefined();
  });

  it('refuses a wrong password', async () => {
    const bus = busAs('order', { KAFKA_SASL_PASSWORD: 'not-the-password' });
    const err = await failureOf(bus.ping(5_000));
    expect(errorTypes(err)).toContain('KafkaJSSASLAuthenticationError');
  });

  it('refuses a plaintext client on the SASL_SSL port', async () => {
    // A raw Kafka ApiVersions request over plain TCP gets no Kafka answer...
    expect(await kafkaAnswers(broker.brokers[0]!)).toBe(false);
    // ...and neither does a service configured without TLS and SASL.
    const bus = busAs('order', {
      KAFKA_SSL_CA_FILE: undefined,
      KAFKA_SASL_MECHANISM: undefined,
      KAFKA_SASL_USERNAME: undefined,
      KAFKA_SASL_PASSWORD: undefined,
    });
    await expect(bus.ping(3_000)).rejects.toThrow();
  });

  it('refuses TLS to a client that trusts another CA', async () => {
    const bus = busAs('order', { KAFKA_SSL_CA_FILE: undefined, KAFKA_SSL: 'true' });
    const err = await failureOf(bus.ping(3_000));
    expect(errorTypes(err)).toContain('KafkaJSConnectionError');
    expect((err as Error).message).toMatch(/self-signed certificate/);
  });

  it('sends a client certificate for mutual TLS, which the broker checks against its CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-client-cert-'));
    try {
      const openssl = (...args: string[]) => {
        const result = spawnSync('openssl', args, { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`openssl ${args[0]}: ${result.stderr}`);
      };
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      // One signed by the broker's CA...
      openssl(
        'req',
        '-new',
        ...ec,
        '-keyout',
        join(dir, 'good.key'),
        '-out',
        join(dir, 'good.csr'),
        '-subj',
        '/CN=order-service',
      );
      openssl(
        'x509',
        '-req',
        '-in',
        join(dir, 'good.csr'),
        '-CA',
        broker.caFile,
        '-CAkey',
        join(dirname(broker.caFile), 'ca.key'),
        '-set_serial',
        '7',
        '-days',
        '1',
        '-out',
        join(dir, 'good.pem'),
      );
      // ...and a self-signed one the broker has never heard of.
      openssl(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        join(dir, 'bad.key'),
        '-out',
        join(dir, 'bad.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=order-service',
      );

      const good = busAs('order', {
        KAFKA_SSL_CERT_FILE: join(dir, 'good.pem'),
        KAFKA_SSL_KEY_FILE: join(dir, 'good.key'),
      });
      await expect(good.ping(5_000)).resolves.toBeUndefined();
      const bad = busAs('order', {
        KAFKA_SSL_CERT_FILE: join(dir, 'bad.pem'),
        KAFKA_SSL_KEY_FILE: join(dir, 'bad.key'),
      });
      await expect(bad.ping(5_000)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has exactly the planned ACLs, re-applies them idempotently and removes stray ones', async () => {
    const admin = {
      brokers: broker.brokers,
      logger,
      security: loadServiceConfig('order', undefined, serviceEnv('admin')).kafkaSecurity,
    };
    // A rule the registry does not grant: order-service writing social.posts.v1.
    const kafka = new Kafka({
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      ...createKafkaSecurity(admin.security),
    });
    const client = kafka.admin();
    await client.connect();
    try {
      await client.createAcls({
        acl: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: topics.socialPosts.name,
            resourcePatternType: ResourcePatternTypes.LITERAL,
            principal: 'User:order-service',
            host: '*',
            operation: AclOperationTypes.WRITE,
            permissionType: AclPermissionTypes.ALLOW,
          },
        ],
      });
    } finally {
      await client.disconnect();
    }
    const applied = await applyServiceAcls(admin);
    expect(applied.created).toHaveLength(0);
    expect(applied.removed).toEqual([
      `User:order-service|*|${AclResourceTypes.TOPIC}|${ResourcePatternTypes.LITERAL}|` +
        `${topics.socialPosts.name}|${AclOperationTypes.WRITE}|${AclPermissionTypes.ALLOW}`,
    ]);
    expect(applied.unchanged).toBe(serviceAcls().length);

    const again = await applyServiceAcls(admin);
    expect(again).toEqual({ created: [], removed: [], unchanged: serviceAcls().length });

    const err = await failureOf(
      busAs('order')
        .createProducer()
        .publish(create(PostCreatedSchema, { postId: randomUUID(), authorId: randomUUID() })),
    );
    expect(errorTypes(err)).toContain('TOPIC_AUTHORIZATION_FAILED');
  }, 60_000);
});
