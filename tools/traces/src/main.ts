// `npm run traces -- <receive|show|list> ...`: see traces without a collector.
// `receive` is a local OTLP/HTTP receiver that appends spans to a JSON-lines
// file; `show` and `list` read that file, so they work while it runs, after it
// stopped, and from another terminal. stdout carries only results.
import { CliError, runCli } from '@switchboard/cli';
import {
  createSpanStore,
  readSpanFile,
  startOtlpReceiver,
  summarize,
  type ReceivedSpan,
} from '@switchboard/otlp-receiver';
import { createTraceAnnouncer } from './create-trace-announcer';
import { formatDuration } from './format-duration';
import { formatSpanTree } from './format-span-tree';
import { formatTraceList } from './format-trace-list';
import {
  parseTracesArgs,
  tracesUsage,
  type ListCommand,
  type ReceiveCommand,
  type ShowCommand,
  type TracesCommand,
} from './parse-traces-args';
import { writeLine } from './write-line';

async function receive(command: ReceiveCommand): Promise<void> {
  const store = createSpanStore({ maxSpans: command.maxSpans, maxBytes: command.maxBytes });
  let receiver;
  try {
    receiver = await startOtlpReceiver({
      host: command.host,
      port: command.port,
      store,
      spanFile: command.file,
      onError: (err) => process.stderr.write(`traces: ${err.message}\n`),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new CliError(
        `port ${command.port} on ${command.host} is in use (another receiver or a collector?); choose one with --port`,
      );
    }
    if (err instanceof RangeError || e.code === 'EADDRNOTAVAIL') throw new CliError(e.message);
    throw err;
  }
  const announcer = createTraceAnnouncer({
    store,
    quietMs: 1_000,
    announce: (t) =>
      void writeLine(
        `${t.traceId}  ${t.spanCount} span${t.spanCount === 1 ? '' : 's'}  ${formatDuration(t.durationMs)}  ` +
          `${t.root.service}: ${t.root.name}`,
      ).catch(() => {}),
  });
  process.stderr.write(
    `traces: OTLP/HTTP receiver on ${receiver.url} (POST /v1/traces, /v1/metrics, /v1/logs); spans go to ${command.file}\n` +
      `traces: point services at it with OTEL_EXPORTER_OTLP_ENDPOINT=${receiver.url}; Ctrl-C stops it\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  announcer.stop();
  await receiver.close();
  const r = receiver.stats();
  const s = store.stats();
  process.stderr.write(
    `traces: received ${r.spans} spans (${r.rejectedSpans} rejected), ${r.metrics} metrics, ${r.logRecords} log records; ` +
      `${r.refusedRequests} of ${r.requests} requests refused; ${s.droppedSpans} spans dropped from memory\n`,
  );
}

async function load(file: string): Promise<ReceivedSpan[]> {
  try {
    const { spans, skippedLines } = await readSpanFile(file);
    if (skippedLines > 0)
      process.stderr.write(`traces: skipped ${skippedLines} unreadable line(s) in ${file}\n`);
    return spans;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(
        `no spans file at ${file}; run \`npm run traces -- receive\` and export to it with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318`,
      );
    }
    throw err;
  }
}

async function show(command: ShowCommand): Promise<void> {
  const all = await load(command.file);
  const spans = all.filter((s) => s.traceId === command.traceId);
  if (spans.length === 0) {
    const traces = new Set(all.map((s) => s.traceId)).size;
    throw new CliError(
      `no trace ${command.traceId} in ${command.file} (it holds ${traces} trace${traces === 1 ? '' : 's'}; \`npm run traces -- list\` lists them)`,
    );
  }
  for (const line of formatSpanTree(dedupe(spans))) await writeLine(line);
}

async function list(command: ListCommand): Promise<void> {
  const byTrace = new Map<string, ReceivedSpan[]>();
  for (const span of await load(command.file)) {
    const spans = byTrace.get(span.traceId);
    if (spans) spans.push(span);
    else byTrace.set(span.traceId, [span]);
  }
  const summaries = [...byTrace.values()]
    .map((spans) => summarize(dedupe(spans)))
    .sort((a, b) => (BigInt(b.startTimeUnixNano) > BigInt(a.startTimeUnixNano) ? 1 : -1))
    .slice(0, command.limit);
  for (const line of formatTraceList(summaries)) await writeLine(line);
  process.stderr.write(
    `traces: ${summaries.length} of ${byTrace.size} traces in ${command.file}\n`,
  );
}

/** An exporter that retried after a lost response sends a span twice; keep one. */
function dedupe(spans: ReceivedSpan[]): ReceivedSpan[] {
  return [...new Map(spans.map((s) => [s.spanId, s])).values()];
}

async function run(command: TracesCommand): Promise<void> {
  switch (command.command) {
    case 'receive':
      return receive(command);
    case 'show':
      return show(command);
    case 'list':
      return list(command);
  }
}

runCli({ name: 'traces', usage: tracesUsage, parse: (argv) => parseTracesArgs(argv), run });
