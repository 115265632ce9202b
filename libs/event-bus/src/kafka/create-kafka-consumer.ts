import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@switchboard/logger';
import type { EventRegistry } from '../create-event-registry';
import type { ConsumerOptions, ConsumerStatus, EventConsumer } from '../event-bus';
import type { AdminPool } from './create-admin-pool';
import type { CloseGroup } from './create-close-group';
import { toRunConfig } from './to-run-config';

export interface KafkaConsumerOptions {
  readonly kafka: Kafka;
  readonly registry: EventRegistry;
  readonly logger: Logger;
  /** For deleting an ephemeral group on stop. */
  readonly admins: AdminPool;
  /** The bus's producers and consumers: this one joins it until stopped. */
  readonly closeGroup: CloseGroup;
  readonly consumer: ConsumerOptions;
}

export function createKafkaConsumer(options: KafkaConsumerOptions): EventConsumer {
  const { admins, closeGroup } = options;
  const { groupId, topics, fromBeginning = true, ephemeral = false, startAt } = options.consumer;
  const log = options.logger.child({ groupId });
  let status: ConsumerStatus = 'idle';
  let assignment: Record<string, number[]> = {};
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    // An idle fetch is parked on the broker for this long, and stop() has
    // to wait for it; kafkajs's 5 s default would make every shutdown slow.
    maxWaitTimeInMs: 1_000,
    // A member that died without leaving (SIGKILL, a lost host) holds its
    // partitions until the session times out; kafkajs's 30 s default meant a
    // restarted replica sat idle that long. 10 s is still far above the
    // 3 s heartbeat, so a busy but healthy member is not evicted.
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    retry: {
      retries: 5,
      // After a crash kafkajs rebuilds the consumer and rejoins; a broker
      // outage must never leave a service silently not consuming.
      restartOnFailure: async (error) => {
        log.warn({ err: error }, 'kafka consumer crashed; restarting');
        return true;
      },
    },
  });
  let sought = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assignment = payload.memberAssignment;
    // On the first join only: kafkajs applies a seek before its next fetch,
    // and seeking again after a rebalance would replay what was delivered.
    if (startAt && !sought) {
      sought = true;
      for (const position of startAt) consumer.seek(position);
    }
    status = 'running';
    log.debug({ assignment }, 'joined consumer group');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) {
      status = 'crashed';
      log.error({ err: payload.error }, 'kafka consumer stopped after a crash');
    }
  });

  const stop = closeGroup.track(async () => {
    if (status === 'stopped') return;
    const wasStarted = status !== 'idle';
    status = 'stopped';
    await consumer.disconnect();
    if (ephemeral && wasStarted) {
      await admins
        .use((admin) => admin.deleteGroups([groupId]))
        .catch((err: unknown) => {
          log.debug({ err }, 'could not delete ephemeral consumer group');
        });
    }
  });

  return {
    groupId,
    async start() {
      if (closeGroup.closed) throw new Error('event bus is closed');
      if (status !== 'idle' && status !== 'crashed') return;
      status = 'starting';
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [...topics], fromBeginning });
        await consumer.run(toRunConfig(options.consumer, options.registry, log));
      } catch (err) {
        status = 'idle';
        await consumer.disconnect().catch(() => {});
        throw err;
      }
    },
    stop,
    status: () => status,
    assignment: () => assignment,
  };
}
