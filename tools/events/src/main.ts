// `npm run events -- <tail|dlq list|dlq redrive|lag> ...`: look at topics,
// dead letters and consumer lag. stdout carries only results (JSON lines, or
// the redrive summary), so it can be piped into jq; everything else goes to stderr.
import { randomUUID } from 'node:crypto';
import { CliError, runCli } from '@switchboard/cli';
import { ConfigError, kafkaSecurityConfig, loadConfig } from '@switchboard/config';
import {
  createEventBus,
  redriveDeadLetters,
  type EventBus,
  type EventRecord,
} from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { formatRedriveSummary } from './format-redrive-summary';
import { formatTailLine } from './format-tail-line';
import { listDeadLetters } from './list-dead-letters';
import {
  eventsUsage,
  parseEventsArgs,
  type EventsCommand,
  type TailCommand,
} from './parse-events-args';
import { printConsumerLag } from './print-consumer-lag';
import { writeLine } from './write-line';

async function run(command: EventsCommand): Promise<void> {
  const logger = createLogger({
    service: 'events-cli',
    level: process.env.LOG_LEVEL ?? 'error',
    destination: process.stderr,
  });
  // TLS and SASL come from the same KAFKA_SSL_* / KAFKA_SASL_* variables as the services'.
  let security;
  try {
    security = loadConfig('events', { kafka: kafkaSecurityConfig() }).kafka;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  const bus = createEventBus({
    brokers: command.brokers,
    clientId: 'events-cli',
    logger,
    source: '/switchboard/events-cli',
    security,
  });
  try {
    await bus.ping(5_000).catch((err: unknown) => {
      throw new CliError(
        `cannot reach Kafka at ${command.brokers.join(',')}: ${(err as Error).message}`,
      );
    });
    switch (command.command) {
      case 'tail':
        await assertTopicExists(bus, command.topic);
        await tail(bus, command);
        break;
      case 'dlq-list': {
        await assertTopicExists(bus, command.topic);
        const count = await listDeadLetters(bus, command.topic, writeLine);
        process.stderr.write(`${count} dead letter${count === 1 ? '' : 's'} in ${command.topic}\n`);
        break;
      }
      case 'dlq-redrive': {
        await assertTopicExists(bus, command.topic);
        const summary = await redriveDeadLetters(bus, command.topic);
        for (const line of formatRedriveSummary(command.topic, summary)) await writeLine(line);
        break;
      }
      case 'lag':
        await printConsumerLag(bus, command.groupId, writeLine);
        break;
    }
  } finally {
    await bus.close();
  }
}

async function assertTopicExists(bus: EventBus, topic: string): Promise<void> {
  const existing = await bus.listTopics();
  if (existing.includes(topic)) return;
  const registered = bus.registry.topics.map((t) => t.name);
  const hint = registered.some((t) => existing.includes(t))
    ? `registry topics on this broker: ${registered.filter((t) => existing.includes(t)).join(', ')}`
    : `none of the registry topics (${registered.join(', ')}) exist yet; a service creates them at start`;
  throw new CliError(`unknown topic ${topic}; ${hint}`);
}

async function tail(bus: EventBus, command: TailCommand): Promise<void> {
  let printed = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = bus.createConsumer({
    kind: 'record',
    // A fresh, ephemeral group per run: reading never moves a service's offsets.
    groupId: `events-cli-tail-${randomUUID()}`,
    topics: [command.topic],
    fromBeginning: command.fromBeginning,
    ephemeral: true,
    onRecord: async (record: EventRecord) => {
      if (command.max !== undefined && printed >= command.max) return;
      printed++;
      await writeLine(formatTailLine(record, bus.registry));
      // Stopping from inside the handler would wait on this very handler.
      if (printed === command.max) setImmediate(finish);
    },
  });
  process.once('SIGINT', finish);
  process.once('SIGTERM', finish);
  await consumer.start();
  await finished;
}

/**
 * An authorization failure, by kafkajs error type. A refused group lookup
 * surfaces only as "coordinator not found", which on a broker that answers
 * is the same refusal.
 */
function refusal(err: unknown): string | undefined {
  for (let e = err as Record<string, unknown> | undefined; e;) {
    if (typeof e.type === 'string' && e.type.endsWith('_AUTHORIZATION_FAILED')) return e.type;
    if (e.name === 'KafkaJSGroupCoordinatorNotFound') return 'no access to the consumer group';
    e = (e.cause ?? e.originalError) as Record<string, unknown> | undefined;
  }
  return undefined;
}

runCli({
  name: 'events',
  usage: eventsUsage,
  parse: (argv) => parseEventsArgs(argv),
  run,
  explain: (err) => {
    const refused = refusal(err);
    if (!refused) return undefined;
    return (
      `Kafka refused ${process.env.KAFKA_SASL_USERNAME ?? 'this client'} (${refused}); ` +
      'the CLI reads any topic and uses its own consumer groups, so on a broker with ACLs ' +
      'run it as a super user (the secured local broker writes admin.env for that)'
    );
  },
});
