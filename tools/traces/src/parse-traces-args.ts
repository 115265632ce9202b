import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '@switchboard/cli';

export interface ReceiveCommand {
  readonly command: 'receive';
  readonly host: string;
  readonly port: number;
  readonly file: string;
  readonly maxSpans: number | undefined;
  readonly maxBytes: number | undefined;
}

export interface ShowCommand {
  readonly command: 'show';
  readonly traceId: string;
  readonly file: string;
}

export interface ListCommand {
  readonly command: 'list';
  readonly limit: number;
  readonly file: string;
}

export type TracesCommand = ReceiveCommand | ShowCommand | ListCommand;

export const tracesUsage = `usage: npm run traces -- <command> [options]

  receive [--port 4318] [--host 127.0.0.1] [--file F] [--max-spans N] [--max-bytes N]
          run an OTLP/HTTP receiver (POST /v1/traces, /v1/metrics, /v1/logs;
          protobuf or JSON) on loopback, and append every span it receives to
          F. Point the services at it with
          OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318. Prints the id of
          each trace whose root span arrives; Ctrl-C stops it.
            --port       0 picks a free port (printed at start)
            --max-spans  spans kept in memory (default 50000), oldest dropped first
            --max-bytes  bytes of spans kept in memory (default 64 MiB)

  show <trace-id> [--file F]
          print the span tree of a trace: per span its name, service, kind,
          duration and status, with links and the asynchronous hop from a
          producer to its consumer marked.

  list [--limit 20] [--file F]
          the most recent traces: start, duration, span count, services, root span.

  --file    the spans file (default: $DATA_DIR/traces.jsonl, DATA_DIR defaulting to ./.data)`;

export function parseTracesArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): TracesCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        file: { type: 'string' },
        'max-spans': { type: 'string' },
        'max-bytes': { type: 'string' },
        limit: { type: 'string' },
      },
    });
  } catch (err) {
    // parseArgs' own messages name the option and say what is wrong with it.
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  const file = values.file ?? join(env.DATA_DIR || '.data', 'traces.jsonl');
  const only = (name: string, allowed: readonly string[]) => {
    const stray = Object.keys(values).find((k) => k !== 'file' && !allowed.includes(k));
    if (stray) throw new UsageError(`--${stray} is not an option of ${name}`);
  };
  const noMore = (extra: readonly string[]) => {
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  };
  switch (command) {
    case 'receive':
      noMore(rest);
      only('receive', ['port', 'host', 'max-spans', 'max-bytes']);
      return {
        command,
        host: values.host ?? '127.0.0.1',
        port: values.port === undefined ? 4318 : whole('--port', values.port, 0, 65_535),
        file,
        maxSpans:
          values['max-spans'] === undefined
            ? undefined
            : whole('--max-spans', values['max-spans'], 1),
        maxBytes:
          values['max-bytes'] === undefined
            ? undefined
            : whole('--max-bytes', values['max-bytes'], 1),
      };
    case 'show': {
      const [traceId, ...extra] = rest;
      if (!traceId) throw new UsageError('show needs a trace id');
      noMore(extra);
      only('show', []);
      if (!/^[0-9a-fA-F]{32}$/.test(traceId)) {
        throw new UsageError(`a trace id is 32 hexadecimal digits (got "${traceId}")`);
      }
      return { command, traceId: traceId.toLowerCase(), file };
    }
    case 'list':
      noMore(rest);
      only('list', ['limit']);
      return {
        command,
        limit: values.limit === undefined ? 20 : whole('--limit', values.limit, 1),
        file,
      };
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'missing command');
  }
}

function whole(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}
