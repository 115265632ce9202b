import type { BatchObservableResult, Meter } from '@opentelemetry/api';
import type { Logger } from '@switchboard/logger';
import {
  createPeriodicTask,
  systemClock,
  type Clock,
  type PeriodicTask,
} from '@switchboard/timing';
import type { EventBus, PartitionLag } from '../event-bus';
import { messagingAttributes as attr } from '../telemetry/event-bus-telemetry';

/**
 * The group's lag, as a gauge and, every lagLogIntervalMs, as a log line.
 * Both read the broker at most one at a time, and a scrape never waits on it.
 */
export interface LagMonitor {
  start(): void;
  stop(): void;
}

export interface LagMonitorOptions {
  readonly bus: EventBus;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly log: Logger;
  readonly meter: Meter;
  /** 0 turns the log line off. */
  readonly logIntervalMs: number;
  /** Defaults to the system clock; specs step a manual one. */
  readonly clock?: Clock;
}

/** How old the lag a collection reports may be before it asks the broker again. */
const LAG_REFRESH_MS = 10_000;

export function createLagMonitor(options: LagMonitorOptions): LagMonitor {
  const { bus, groupId, topics, log, meter, logIntervalMs, clock = systemClock } = options;
  const lagGauge = meter.createObservableGauge('messaging.kafka.consumer.lag', {
    description: 'High watermark minus the committed offset, per partition',
    unit: '{message}',
  });
  /** The lag last read (by the lag log or a collection), so a scrape never waits on the broker. */
  let lastLag: { at: number; partitions: readonly PartitionLag[] } = { at: 0, partitions: [] };
  let lagRefresh: Promise<PartitionLag[]> | undefined;
  /** The total lag last logged at info; undefined before the first reading. */
  let lastLoggedLag: number | undefined;

  function refreshLag(): Promise<PartitionLag[]> {
    lagRefresh ??= bus
      .consumerLag(groupId, topics)
      .then((partitions) => {
        lastLag = { at: clock.now(), partitions };
        return partitions;
      })
      .finally(() => {
        lagRefresh = undefined;
      });
    return lagRefresh;
  }

  const observeLag = (observer: BatchObservableResult) => {
    if (clock.now() - lastLag.at >= LAG_REFRESH_MS) void refreshLag().catch(() => undefined);
    for (const p of lastLag.partitions) {
      observer.observe(lagGauge, p.lag, {
        [attr.destination]: p.topic,
        [attr.partition]: String(p.partition),
        [attr.group]: groupId,
      });
    }
  };

  async function logLag() {
    const partitions = await refreshLag();
    const total = partitions.reduce((sum, p) => sum + p.lag, 0);
    // A consumer that stays caught up says so once, not every interval: an idle
    // system's logs (and the CPU of writing them) stay proportional to work.
    const level = total === 0 && lastLoggedLag === 0 ? 'debug' : 'info';
    if (level === 'info') lastLoggedLag = total;
    log[level](
      {
        lag: partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          committed: p.committedOffset,
          high: p.highWatermark,
          lag: p.lag,
        })),
        total,
      },
      'consumer lag',
    );
  }

  // Rounds never overlap, so a slow broker delays the next line instead of stacking reads.
  const logTask: PeriodicTask | undefined =
    logIntervalMs > 0
      ? createPeriodicTask({
          intervalMs: logIntervalMs,
          clock,
          run: logLag,
          onError: (err) => log.debug({ err }, 'could not read consumer lag'),
        })
      : undefined;

  return {
    start() {
      meter.addBatchObservableCallback(observeLag, [lagGauge]);
      logTask?.start();
    },
    stop() {
      // Not awaited: a lag read in flight may wait on an unreachable broker,
      // and closing the consumer must not wait for it; no round follows.
      void logTask?.close();
      meter.removeBatchObservableCallback(observeLag, [lagGauge]);
    },
  };
}
