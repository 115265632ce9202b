import { Link } from '../components/link';
import { Empty, ErrorBox, Loading } from '../components/status-views';
import { useCall } from '../hooks/use-call';
import { consoleClient } from '../lib/console-client';

export function TopicsView() {
  const call = useCall((signal) => consoleClient.listTopics({}, { signal }), 'topics');
  return (
    <section data-testid="topics-view">
      <h1>Topics</h1>
      <p>
        <button type="button" onClick={call.reload} data-testid="topics-refresh">
          Refresh
        </button>
      </p>
      {call.status === 'loading' && <Loading what="topics" />}
      {call.status === 'error' && <ErrorBox error={call.error} retry={call.reload} />}
      {call.status === 'ok' && call.data.topics.length === 0 && (
        <Empty>The broker has no topics.</Empty>
      )}
      {call.status === 'ok' && call.data.topics.length > 0 && (
        <table class="list topics" data-testid="topics-table">
          <thead>
            <tr>
              <th>topic</th>
              <th>partitions: start → end offset</th>
              <th>consumer groups: lag</th>
            </tr>
          </thead>
          <tbody>
            {call.data.topics.map((t) => (
              <tr key={t.name} data-testid="topic-row" data-topic={t.name}>
                <td>
                  <Link href={`/topics/${encodeURIComponent(t.name)}`}>{t.name}</Link>
                  {t.deadLetter && <span class="tag dlq">DLQ</span>}
                </td>
                <td>
                  {t.partitions.map((p) => (
                    <div key={p.partition}>
                      p{p.partition}: {p.startOffset.toString()} → {p.endOffset.toString()}
                    </div>
                  ))}
                </td>
                <td>
                  {t.groups.length === 0 && <span class="meta">no group</span>}
                  {t.groups.map((g) => (
                    <details key={g.groupId}>
                      <summary class={g.totalLag > 0n ? 'warn' : ''}>
                        {g.groupId}: lag {g.totalLag.toString()}
                      </summary>
                      {g.partitions.map((p) => (
                        <div key={p.partition}>
                          p{p.partition}: committed{' '}
                          {p.committedOffset < 0n ? 'nothing' : p.committedOffset.toString()}, lag{' '}
                          {p.lag.toString()}
                        </div>
                      ))}
                    </details>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
