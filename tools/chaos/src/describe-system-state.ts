import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import type { SystemUnderChaos } from './system-under-chaos';

async function scalar(url: string, text: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: unknown }>(text);
    return String(rows[0]?.v);
  } catch (err) {
    return `(${(err as Error).message})`;
  } finally {
    await client.end();
  }
}

/**
 * What a failed check needs to be understood: the outboxes' unpublished
 * backlogs, each topic's records against each group's committed offsets, the
 * dead-letter topics, and the tail of every replica's log.
 */
export async function describeSystemState(
  system: SystemUnderChaos,
  placedOrderIds: readonly string[],
): Promise<string> {
  const lines: string[] = [];
  // The OrderPlaced rows of orders reporting never recorded: when and whether the relay sent them.
  const client = new pg.Client({ connectionString: system.databaseUrlOf('reporting-service') });
  await client.connect();
  let missing: string[];
  try {
    const { rows } = await client.query<{ id: string }>(
      'select o as id from unnest($1::text[]) as o where o not in (select order_id::text from orders)',
      [placedOrderIds],
    );
    missing = rows.map((r) => r.id);
  } finally {
    await client.end();
  }
  if (missing.length > 0) {
    const orders = new pg.Client({ connectionString: system.databaseUrlOf('order-service') });
    await orders.connect();
    try {
      const { rows } = await orders.query<Record<string, unknown>>(
        `select id, key, type, created_at, published_at from outbox where key = any($1::text[]) order by id`,
        [missing],
      );
      lines.push(`outbox rows of ${missing.length} orders missing in reporting:`);
      for (const row of rows) lines.push(`  ${JSON.stringify(row)}`);
    } finally {
      await orders.end();
    }
  }
  for (const app of ['order-service', 'inventory-service', 'post-service'] as const) {
    lines.push(
      `${app} outbox unpublished: ${await scalar(system.databaseUrlOf(app), 'select count(*) as v from outbox where published_at is null')}`,
    );
  }
  for (const app of ['reporting-service', 'notification-service'] as const) {
    lines.push(
      `${app} inbox rows: ${await scalar(system.databaseUrlOf(app), 'select count(*) as v from inbox')}`,
    );
  }
  const admin = new Kafka({
    brokers: [...system.kafka.brokers],
    logLevel: logLevel.NOTHING,
    clientId: 'chaos-diagnostics',
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
    const ends = new Map<string, number>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(
        topic,
        offsets.reduce((sum, p) => sum + Number(p.high), 0),
      );
    }
    lines.push(`topics: ${[...ends].map(([t, n]) => `${t}=${n}`).join(' ')}`);
    const { groups } = await admin.listGroups();
    for (const { groupId } of groups) {
      const committed = await admin.fetchOffsets({ groupId });
      const parts = committed
        .filter((t) => ends.has(t.topic))
        .map((t) => {
          const sum = t.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
          return `${t.topic} ${sum}/${ends.get(t.topic)}`;
        });
      lines.push(`group ${groupId}: ${parts.join(', ')}`);
    }
  } finally {
    await admin.disconnect();
  }
  for (const list of Object.values(system.replicas)) {
    for (const replica of list) {
      // The relay's and the producer's own words first: they explain a missing event.
      const relay = replica
        .process()
        .output()
        .split('\n')
        .filter((line) => /outbox|Producer|producer/.test(line))
        .slice(-20)
        .map((line) => line.slice(0, 600));
      if (relay.length > 0) lines.push(`--- ${replica.app} ${replica.address} relay ---`, ...relay);
      const tail = replica.process().output().slice(-3_000);
      lines.push(`--- ${replica.app} ${replica.address} (last lines) ---\n${tail}`);
    }
  }
  return lines.join('\n');
}
