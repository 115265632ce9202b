import { Kafka, logLevel } from 'kafkajs';
import type { Outage } from './create-chaos-load';

/** Counters read from the system at one moment; a fault's figures are the difference of two. */
export interface SystemCounters {
  /** Records on the services' topics (their partitions' high watermarks summed). */
  readonly produced: number;
  /** Records the consuming groups took off their topics, by inbox outcome. */
  readonly consumed: Readonly<Record<string, number>>;
}

const CONSUMED = /^messaging_client_consumed_messages(?:_total)?\{([^}]*)\}\s+(\S+)/;
const OUTCOME = /switchboard_outcome="([^"]+)"/;

/**
 * Sums each inbox outcome (handled, duplicate, skipped, dead-lettered) over
 * the /metrics pages given. A page that does not answer counts as zero:
 * only replicas that are never killed are read, so none goes missing.
 */
export async function readInboxOutcomes(
  metricsUrls: readonly string[],
): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const url of metricsUrls) {
    const page = await fetch(url).then((r) => r.text());
    for (const line of page.split('\n')) {
      const match = CONSUMED.exec(line);
      const outcome = match && OUTCOME.exec(match[1]!)?.[1];
      if (!match || !outcome) continue;
      totals[outcome] = (totals[outcome] ?? 0) + Number(match[2]);
    }
  }
  return totals;
}

/** Records on every topic the services use (internal topics left out). */
export async function countProducedRecords(brokers: readonly string[]): Promise<number> {
  const admin = new Kafka({
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    clientId: 'chaos-figures',
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((name) => !name.startsWith('__'));
    let total = 0;
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) total += Number(partition.high);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

export interface FaultFigures {
  readonly fault: string;
  readonly ordersPlaced: number;
  readonly postsCreated: number;
  readonly produced: number;
  readonly consumed: number;
  readonly duplicates: number;
  readonly errors: ReadonlyMap<string, number>;
  /** From the fault until the last request that failed had its answer; 0 when none failed. */
  readonly clientRecoveryMs: number;
  /** The longest one request kept failing before it succeeded. */
  readonly longestOutageMs: number;
  /** From the end of the load until every invariant held. */
  readonly catchUpMs: number;
}

export function recoveryOf(outages: readonly Outage[], faultAt: number) {
  if (outages.length === 0) return { clientRecoveryMs: 0, longestOutageMs: 0 };
  return {
    clientRecoveryMs: Math.max(0, Math.max(...outages.map((o) => o.recoveredAt)) - faultAt),
    longestOutageMs: Math.max(...outages.map((o) => o.recoveredAt - o.failedAt)),
  };
}

const seconds = (ms: number) => (ms === 0 ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** The table docs/reliability.md quotes, in Markdown. */
export function formatReliabilityTable(rows: readonly FaultFigures[]): string {
  const header =
    '| fault | orders placed | posts | events produced | consumed | duplicates absorbed | client errors | recovered after | longest retry | caught up in |\n' +
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |';
  const lines = rows.map((r) => {
    const errors =
      r.errors.size === 0
        ? 'none'
        : [...r.errors.entries()].map(([code, n]) => `${code} ${n}`).join(', ');
    return `| ${r.fault} | ${r.ordersPlaced} | ${r.postsCreated} | ${r.produced} | ${r.consumed} | ${r.duplicates} | ${errors} | ${seconds(r.clientRecoveryMs)} | ${seconds(r.longestOutageMs)} | ${seconds(r.catchUpMs)} |`;
  });
  return [header, ...lines].join('\n');
}
