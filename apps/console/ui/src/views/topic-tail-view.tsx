import type {
  TailTopicResponse,
  TopicRecord,
} from '@switchboard/contracts/console/v1/console_service_pb';
import { Link } from '../components/link';
import { RecordView } from '../components/record-view';
import { Empty, ErrorBox } from '../components/status-views';
import { useStream } from '../hooks/use-stream';
import { consoleClient } from '../lib/console-client';

/** The page keeps this many records, newest first; older ones scroll out. */
const KEEP = 500;

export function TopicTailView({ topic }: { topic: string }) {
  const stream = useStream(
    (signal) => consoleClient.tailTopic({ topic, last: 20 }, { signal }),
    (m: TailTopicResponse) => m.record,
    topic,
    KEEP,
  );
  const records = stream.items.filter((r): r is TopicRecord => r !== undefined);
  return (
    <section data-testid="topic-tail-view">
      <h1>
        Topic <code>{topic}</code>
      </h1>
      <p>
        <Link href="/topics">← all topics</Link>{' '}
        <span class={`stream-status ${stream.status}`} data-testid="tail-status">
          {stream.status === 'open' && 'connected, waiting for records…'}
          {stream.status === 'live' && `live · ${records.length} records (newest first)`}
          {stream.status === 'ended' && 'the tail ended'}
          {stream.status === 'error' && 'the tail failed'}
        </span>
      </p>
      {stream.status === 'error' && (
        <ErrorBox error={stream.error ?? 'tail failed'} retry={stream.reconnect} />
      )}
      {stream.status === 'open' && (
        <Empty>No records yet: the last 20 show first, then each new one.</Empty>
      )}
      {records.map((r) => (
        <RecordView key={`${r.partition}-${r.offset}`} record={r} testid="tail-record" />
      ))}
    </section>
  );
}
