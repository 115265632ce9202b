import { createNoopMeter } from '@opentelemetry/api';
import type { Logger } from '@switchboard/logger';
import { createManualClock } from '@switchboard/timing';
import type { EventBus, PartitionLag } from '../event-bus';
import { createLagMonitor } from './create-lag-monitor';

function lagOf(lag: number): PartitionLag {
  return {
    topic: 't',
    partition: 0,
    committedOffset: '0',
    highWatermark: String(lag),
    lowWatermark: '0',
    lag,
  };
}

describe('createLagMonitor', () => {
  it('logs the lag every interval of its clock, and a caught-up group once at info', async () => {
    const clock = createManualClock();
    const readings = [3, 0, 0, 2];
    let reads = 0;
    // A stand-in for the broker: the lag read is all the monitor asks of the bus.
    const bus = {
      consumerLag: async () => [lagOf(readings[reads++] ?? 0)],
    } as unknown as EventBus;
    const lines: { level: string; total: number }[] = [];
    const record = (level: string) => (fields: { total: number }) =>
      lines.push({ level, total: fields.total });
    const log = { info: record('info'), debug: record('debug') } as unknown as Logger;

    const monitor = createLagMonitor({
      bus,
      groupId: 'g',
      topics: ['t'],
      log,
      meter: createNoopMeter(),
      logIntervalMs: 30_000,
      clock,
    });
    monitor.start();
    await clock.advance(29_999);
    expect(lines).toEqual([]);
    await clock.advance(1);
    await clock.advance(30_000);
    await clock.advance(30_000);
    await clock.advance(30_000);
    expect(lines).toEqual([
      { level: 'info', total: 3 },
      { level: 'info', total: 0 },
      { level: 'debug', total: 0 },
      { level: 'info', total: 2 },
    ]);
    monitor.stop();
    await clock.advance(60_000);
    expect(reads).toBe(4);
  });
});
