// `npm run events -- tail <topic> [--from-beginning] [--max N]`: watch a topic
// as JSON lines. stdout carries only the records, so it can be piped into jq;
// everything else goes to stderr.
import { randomUUID } from 'node:crypto';
import { createEventBus, type EventRecord } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { formatTailLine } from './format-tail-line';
import { UsageError, eventsUsage, parseEventsArgs, type TailCommand } from './parse-events-args';

class CliError extends Error {}

async function tail(command: TailCommand): Promise<void> {
  const logger = createLogger({
    service: 'events-cli',
    level: process.env.LOG_LEVEL ?? 'error',
    destination: process.stderr,
  });
  const bus = createEventBus({
    brokers: command.brokers,
    clientId: 'events-cli',
    logger,
    source: '/switchboard/events-cli',
  });
  try {
    await bus.ping(5_000).catch((err: unknown) => {
      throw new CliError(
        `cannot reach Kafka at ${command.brokers.join(',')}: ${(err as Error).message}`,
      );
    });
    const existing = await bus.listTopics();
    if (!existing.includes(command.topic)) {
      const registered = bus.registry.topics.map((t) => t.name);
      const hint = registered.some((t) => existing.includes(t))
        ? `registry topics on this broker: ${registered.filter((t) => existing.includes(t)).join(', ')}`
        : `none of the registry topics (${registered.join(', ')}) exist yet; a service creates them at start`;
      throw new CliError(`unknown topic ${command.topic}; ${hint}`);
    }

    let printed = 0;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const consumer = bus.createConsumer({
      // A fresh, ephemeral group per run: reading never moves a service's offsets.
      groupId: `events-cli-tail-${randomUUID()}`,
      topics: [command.topic],
      fromBeginning: command.fromBeginning,
      ephemeral: true,
      onRecord: async (record: EventRecord) => {
        if (command.max !== undefined && printed >= command.max) return;
        printed++;
        await write(formatTailLine(record, bus.registry) + '\n');
        // Stopping from inside the handler would wait on this very handler.
        if (printed === command.max) setImmediate(finish);
      },
    });
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    await consumer.start();
    await finished;
  } finally {
    await bus.close();
  }
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
  );
}

async function main(): Promise<number> {
  let command: TailCommand;
  try {
    command = parseEventsArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`events: ${err.message}\n\n${eventsUsage}\n`);
      return 2;
    }
    throw err;
  }
  try {
    await tail(command);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`events: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`events: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
