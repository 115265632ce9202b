import {
  SpanKind,
  SpanStatus,
  type Attribute,
  type LogRecord,
  type TraceSpan,
} from '@switchboard/contracts/console/v1/console_service_pb';
import { Link } from '../components/link';
import { Empty, ErrorBox, Loading } from '../components/status-views';
import { useCall } from '../hooks/use-call';
import { consoleClient } from '../lib/console-client';
import { layoutSpans, type SpanLike } from '../lib/layout-spans';
import { navigate, withQuery, type Location } from '../lib/router';
import { formatMs, formatTime, toMs } from '../lib/time';

interface Span extends SpanLike {
  readonly raw: TraceSpan;
}

function toSpan(raw: TraceSpan): Span {
  return {
    raw,
    spanId: raw.spanId,
    parentSpanId: raw.parentSpanId,
    startMs: toMs(raw.startTime),
    endMs: toMs(raw.endTime),
    linkedSpanIds: raw.links.filter((l) => l.traceId === raw.traceId).map((l) => l.spanId),
    isConsumer: raw.kind === SpanKind.CONSUMER,
    isProducer: raw.kind === SpanKind.PRODUCER,
  };
}

const kindName: Record<SpanKind, string> = {
  [SpanKind.UNSPECIFIED]: 'unspecified',
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

function Attributes({
  attributes,
  testid,
  quiet,
}: {
  attributes: readonly Attribute[];
  testid?: string;
  /** Say nothing when there are none (an event's or a link's). */
  quiet?: boolean;
}) {
  if (attributes.length === 0) return quiet ? null : <p class="meta">none</p>;
  return (
    <table class="attributes" data-testid={testid}>
      <tbody>
        {attributes.map((a) => (
          <tr key={a.key}>
            <th>{a.key}</th>
            <td>
              <code>{a.value}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Logs({ logs, testid }: { logs: readonly LogRecord[]; testid: string }) {
  if (logs.length === 0) return <Empty>No log lines carry this id.</Empty>;
  return (
    <table class="list logs" data-testid={testid}>
      <tbody>
        {logs.map((l, i) => (
          <tr key={i} class={`severity-${l.severity.toLowerCase()}`} data-testid="log-line">
            <td>{formatTime(l.time)}</td>
            <td>{l.severity}</td>
            <td>{l.service}</td>
            <td>{l.body}</td>
            <td>
              <code>{l.spanId}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SpanDetails({ span, logs }: { span: TraceSpan; logs: readonly LogRecord[] }) {
  const own = logs.filter((l) => l.spanId === span.spanId);
  return (
    <aside class="span-details" data-testid="span-details">
      <h2>
        {span.service} · {span.name}
      </h2>
      <p class="meta">
        {kindName[span.kind]} · span <code>{span.spanId}</code>
        {span.parentSpanId && (
          <>
            {' '}
            · parent <code>{span.parentSpanId}</code>
          </>
        )}{' '}
        · {formatMs(toMs(span.endTime) - toMs(span.startTime))}
        {span.status === SpanStatus.ERROR && (
          <strong class="error-text"> · ERROR {span.statusMessage}</strong>
        )}
      </p>
      <h3>Attributes</h3>
      <Attributes attributes={span.attributes} testid="span-attributes" />
      <h3>Events</h3>
      {span.events.length === 0 ? (
        <p class="meta">none</p>
      ) : (
        <ul data-testid="span-events">
          {span.events.map((e, i) => (
            <li key={i}>
              {formatTime(e.time)} <strong>{e.name}</strong>
              <Attributes attributes={e.attributes} quiet />
            </li>
          ))}
        </ul>
      )}
      <h3>Links</h3>
      {span.links.length === 0 ? (
        <p class="meta">none</p>
      ) : (
        <ul data-testid="span-links">
          {span.links.map((l) => (
            <li key={l.spanId}>
              <Link href={withQuery(`/traces/${l.traceId}`, { span: l.spanId })}>
                {l.traceId}/{l.spanId}
              </Link>
              <Attributes attributes={l.attributes} quiet />
            </li>
          ))}
        </ul>
      )}
      <h3>Log lines of this span</h3>
      <Logs logs={own} testid="span-logs" />
    </aside>
  );
}

export function TraceView({ traceId, location }: { traceId: string; location: Location }) {
  const call = useCall((signal) => consoleClient.getTrace({ traceId }, { signal }), traceId);
  const selectedId = location.query.get('span') ?? '';
  const select = (spanId: string) =>
    navigate(withQuery(`/traces/${traceId}`, { span: spanId }), { replace: true });
  return (
    <section data-testid="trace-view">
      <h1>
        Trace <code data-testid="trace-id">{traceId}</code>
      </h1>
      <p>
        <Link href="/traces">← all traces</Link>{' '}
        <button type="button" data-testid="trace-refresh" onClick={call.reload}>
          Refresh
        </button>
      </p>
      {call.status === 'loading' && <Loading what="the trace" />}
      {call.status === 'error' && <ErrorBox error={call.error} retry={call.reload} />}
      {call.status === 'ok' && call.data.spans.length === 0 && (
        <Empty>
          No spans of this trace in the store (yet): services export every moment, so refresh; or it
          was dropped to stay within the store's bounds.
        </Empty>
      )}
      {call.status === 'ok' && call.data.spans.length > 0 && (
        <Waterfall
          spans={call.data.spans}
          logs={call.data.logs}
          selectedId={selectedId}
          select={select}
        />
      )}
    </section>
  );
}

function Waterfall(props: {
  spans: readonly TraceSpan[];
  logs: readonly LogRecord[];
  selectedId: string;
  select: (spanId: string) => void;
}) {
  const { rows, durationMs } = layoutSpans(props.spans.map(toSpan));
  const services = [...new Set(props.spans.map((s) => s.service))];
  const selected = props.spans.find((s) => s.spanId === props.selectedId);
  const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
  return (
    <>
      <p class="meta" data-testid="trace-summary">
        {props.spans.length} spans · {formatMs(durationMs)} · {services.join(', ')}
      </p>
      <div class="waterfall" data-testid="waterfall">
        {rows.map((row) => {
          const s = row.span.raw;
          const service = services.indexOf(s.service) % 8;
          return (
            <div
              key={s.spanId}
              class={`span-row${s.spanId === props.selectedId ? ' selected' : ''}`}
              data-testid="span-row"
              data-service={s.service}
              data-kind={kindName[s.kind]}
              onClick={() => props.select(s.spanId)}
            >
              <div class="span-name" style={{ paddingLeft: `${row.depth * 14 + 4}px` }}>
                {row.viaLink && <span title="linked, not a child">⤷ </span>}
                <span class={`service-dot s${service}`} /> <strong>{s.service}</strong>{' '}
                <span class={`kind kind-${kindName[s.kind]}`}>{kindName[s.kind]}</span> {s.name}
              </div>
              <div class="span-track">
                {row.queued && (
                  <div
                    class={`queued${row.queued.offset > 0.6 ? ' flip' : ''}`}
                    data-testid="kafka-wait"
                    title={`waited ${formatMs(row.queued.ms)} in Kafka`}
                    style={{ left: pct(row.queued.offset), width: pct(row.queued.width) }}
                  >
                    <span>in Kafka {formatMs(row.queued.ms)}</span>
                  </div>
                )}
                <div
                  class={`bar s${service}${s.status === SpanStatus.ERROR ? ' error' : ''}`}
                  style={{ left: pct(row.offset), width: `max(2px, ${pct(row.width)})` }}
                />
                {/* Near the right edge the duration goes before the bar, not off the page. */}
                <span
                  class="bar-label"
                  style={
                    row.offset + row.width > 0.85
                      ? { right: pct(1 - row.offset), paddingRight: '4px' }
                      : { left: pct(row.offset + row.width) }
                  }
                >
                  {formatMs(row.span.endMs - row.span.startMs)}
                </span>
              </div>
            </div>
          );
        })}
      </div>
      {selected ? (
        <SpanDetails span={selected} logs={props.logs} />
      ) : (
        <p class="meta">Click a span for its attributes, events and log lines.</p>
      )}
      <h2>Log lines of this trace</h2>
      <Logs logs={props.logs} testid="trace-logs" />
    </>
  );
}
