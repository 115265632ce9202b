import { StatusFilter } from '@switchboard/contracts/console/v1/console_service_pb';
import { useState } from 'preact/hooks';
import { Link } from '../components/link';
import { Empty, ErrorBox, Loading } from '../components/status-views';
import { useCall } from '../hooks/use-call';
import { consoleClient } from '../lib/console-client';
import { navigate, withQuery, type Location } from '../lib/router';
import { formatMs, formatTime } from '../lib/time';

const statuses: Record<string, StatusFilter> = {
  '': StatusFilter.UNSPECIFIED,
  ok: StatusFilter.OK,
  error: StatusFilter.ERROR,
};

/** The filters live in the URL, so a filtered list is a link to share. */
function filtersOf(query: URLSearchParams) {
  return {
    service: query.get('service') ?? '',
    method: query.get('method') ?? '',
    status: query.get('status') ?? '',
    minMs: query.get('minMs') ?? '',
    traceId: query.get('traceId') ?? '',
  };
}

export function TracesView({ location }: { location: Location }) {
  const filters = filtersOf(location.query);
  const [draft, setDraft] = useState(filters);
  const key = location.query.toString();
  const call = useCall(
    (signal) =>
      consoleClient.listTraces(
        {
          service: filters.service,
          method: filters.method,
          status: statuses[filters.status] ?? StatusFilter.UNSPECIFIED,
          minDurationMs: Number(filters.minMs) || 0,
          traceId: filters.traceId.trim().toLowerCase(),
          limit: 100,
        },
        { signal },
      ),
    key,
  );
  const field = (name: keyof typeof draft) => ({
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value }),
  });
  return (
    <section data-testid="traces-view">
      <h1>Traces</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          // A whole trace id opens the trace itself.
          const id = draft.traceId.trim().toLowerCase();
          if (/^[0-9a-f]{32}$/.test(id)) navigate(`/traces/${id}`);
          else navigate(withQuery('/traces', draft));
        }}
      >
        <label>
          trace id{' '}
          <input
            data-testid="traces-search"
            placeholder="32 hex digits or a prefix"
            {...field('traceId')}
          />
        </label>
        <label>
          service{' '}
          <input data-testid="traces-service" placeholder="order-service" {...field('service')} />
        </label>
        <label>
          method{' '}
          <input data-testid="traces-method" placeholder="…/PlaceOrder" {...field('method')} />
        </label>
        <label>
          status
          <select data-testid="traces-status" {...field('status')}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
          </select>
        </label>
        <label>
          min ms <input type="number" min="0" data-testid="traces-min" {...field('minMs')} />
        </label>
        <button type="submit" data-testid="traces-apply">
          Search
        </button>
        <button type="button" onClick={call.reload}>
          Refresh
        </button>
      </form>
      {call.status === 'loading' && <Loading what="traces" />}
      {call.status === 'error' && <ErrorBox error={call.error} retry={call.reload} />}
      {call.status === 'ok' && call.data.traces.length === 0 && (
        <Empty>
          No traces match. Services export to the console as they work: make a call, then refresh.
        </Empty>
      )}
      {call.status === 'ok' && call.data.traces.length > 0 && (
        <>
          <p class="meta">
            {call.data.traces.length} of {call.data.matched} matching traces, newest first
          </p>
          <table class="list" data-testid="traces-table">
            <thead>
              <tr>
                <th>start</th>
                <th>root</th>
                <th>services</th>
                <th>spans</th>
                <th>errors</th>
                <th>duration</th>
                <th>trace id</th>
              </tr>
            </thead>
            <tbody>
              {call.data.traces.map((t) => (
                <tr
                  key={t.traceId}
                  data-testid="trace-row"
                  class={t.errorCount > 0 ? 'error-row' : ''}
                >
                  <td>{formatTime(t.startTime)}</td>
                  <td>
                    <Link href={`/traces/${t.traceId}`}>
                      {t.rootService} {t.rootName}
                    </Link>
                  </td>
                  <td>{t.services.join(', ')}</td>
                  <td>{t.spanCount}</td>
                  <td>{t.errorCount}</td>
                  <td>{formatMs(t.durationMs)}</td>
                  <td>
                    <code>{t.traceId}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
