import type { Timestamp } from '@bufbuild/protobuf/wkt';

export function toMs(ts: Timestamp | undefined): number {
  return ts ? Number(ts.seconds) * 1000 + ts.nanos / 1e6 : 0;
}

export function formatTime(ts: Timestamp | undefined): string {
  if (!ts) return '–';
  const d = new Date(toMs(ts));
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}
