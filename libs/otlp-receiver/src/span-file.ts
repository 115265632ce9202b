// Received spans as JSON lines, so a CLI in another process can read what a
// receiver holds. The file is bounded: past maxFileBytes it becomes
// `<file>.1` (replacing an older one) and a new file starts.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReceivedSpan } from './received-span';

export const defaultMaxFileBytes = 64 * 1024 * 1024;

export interface SpanFileWriter {
  /** Queues the spans for appending; writes happen in order, one batch at a time. */
  append(spans: readonly ReceivedSpan[]): void;
  /** Waits for queued writes and closes the file. */
  close(): Promise<void>;
}

export async function createSpanFileWriter(
  path: string,
  options: { maxFileBytes?: number; onError?: (err: Error) => void } = {},
): Promise<SpanFileWriter> {
  const maxFileBytes = options.maxFileBytes ?? defaultMaxFileBytes;
  await mkdir(dirname(path), { recursive: true });
  let size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  let stream: WriteStream = createWriteStream(path, { flags: 'a' });
  let pending = Promise.resolve();

  async function write(text: string): Promise<void> {
    if (size > 0 && size + Buffer.byteLength(text) > maxFileBytes) {
      stream.end();
      await once(stream, 'close');
      await rename(path, `${path}.1`);
      stream = createWriteStream(path, { flags: 'a' });
      size = 0;
    }
    size += Buffer.byteLength(text);
    if (!stream.write(text)) await once(stream, 'drain');
  }

  return {
    append(spans) {
      if (spans.length === 0) return;
      const text = spans.map((s) => `${JSON.stringify(s)}\n`).join('');
      // A failed write (disk full) is reported, and the receiver keeps serving from memory.
      pending = pending.then(() => write(text)).catch((err: Error) => options.onError?.(err));
    },
    async close() {
      await pending;
      stream.end();
      await once(stream, 'close');
    },
  };
}

export interface SpanFileContents {
  readonly spans: ReceivedSpan[];
  /** Lines that are not a span (a write cut short by a crash, say): skipped, counted. */
  readonly skippedLines: number;
}

/** Reads `<file>.1` then `<file>`; a missing file is an ENOENT error for the caller to explain. */
export async function readSpanFile(path: string): Promise<SpanFileContents> {
  const current = await readFile(path, 'utf8');
  const previous = await readFile(`${path}.1`, 'utf8').catch(() => '');
  const spans: ReceivedSpan[] = [];
  let skippedLines = 0;
  for (const line of `${previous}\n${current}`.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const span = JSON.parse(line) as ReceivedSpan;
      if (
        typeof span.traceId === 'string' &&
        typeof span.spanId === 'string' &&
        typeof span.startTimeUnixNano === 'string'
      ) {
        spans.push(span);
        continue;
      }
    } catch {
      // counted below
    }
    skippedLines++;
  }
  return { spans, skippedLines };
}
