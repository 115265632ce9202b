import type { TopicRecord } from '@switchboard/contracts/console/v1/console_service_pb';
import { formatTime } from '../lib/time';
import { Link } from './link';

/** One Kafka record: where it sits, its decoded JSON (or why not), its headers and its trace. */
export function RecordView({ record, testid }: { record: TopicRecord; testid: string }) {
  return (
    <article class="record" data-testid={testid} data-offset={record.offset.toString()}>
      <header>
        <span>
          {record.topic} · p{record.partition} · offset {record.offset.toString()}
        </span>
        <span>{formatTime(record.timestamp)}</span>
        {record.key && (
          <span>
            key <code>{record.key}</code>
          </span>
        )}
        {record.eventType && <span class="event-type">{record.eventType}</span>}
        {record.traceId && (
          <Link href={`/traces/${record.traceId}`} testid="record-trace-link">
            trace {record.traceId.slice(0, 12)}…
          </Link>
        )}
      </header>
      {record.json ? (
        <pre class="json" data-testid="record-json">
          {pretty(record.json)}
        </pre>
      ) : (
        <p class="error-text" data-testid="record-decode-error">
          not decoded: {record.decodeError || 'empty value'}
        </p>
      )}
      {record.headers.length > 0 && (
        <details>
          <summary>{record.headers.length} headers</summary>
          <table class="attributes">
            <tbody>
              {record.headers.map((h, i) => (
                <tr key={i}>
                  <th>{h.key}</th>
                  <td>
                    <code>{h.value}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </article>
  );
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
