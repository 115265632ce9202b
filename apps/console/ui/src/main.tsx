import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { Link } from './components/link';
import { Empty } from './components/status-views';
import { navigate, useLocation, type Location } from './lib/router';
import { DeadLettersView } from './views/dead-letters-view';
import { ExplorerView } from './views/explorer-view';
import { MapView } from './views/map-view';
import { TopicTailView } from './views/topic-tail-view';
import { TopicsView } from './views/topics-view';
import { TraceView } from './views/trace-view';
import { TracesView } from './views/traces-view';
import './styles.css';

const sections = [
  { path: '/map', title: 'System map' },
  { path: '/traces', title: 'Traces' },
  { path: '/topics', title: 'Topics' },
  { path: '/dead-letters', title: 'Dead letters' },
  { path: '/explorer', title: 'API explorer' },
];

function View({ location }: { location: Location }) {
  const [, first = '', rest = ''] = location.path.split(/^\/([^/]*)\/?/);
  const id = decodeURIComponent(rest);
  switch (first) {
    case 'map':
      return <MapView />;
    case 'traces':
      return id ? (
        <TraceView key={id} traceId={id} location={location} />
      ) : (
        <TracesView location={location} />
      );
    case 'topics':
      return id ? <TopicTailView key={id} topic={id} /> : <TopicsView />;
    case 'dead-letters':
      return <DeadLettersView />;
    case 'explorer':
      return <ExplorerView location={location} />;
    default:
      return <Empty>Nothing at {location.path}.</Empty>;
  }
}

function App() {
  const location = useLocation();
  useEffect(() => {
    if (location.path === '/') navigate('/map', { replace: true });
  }, [location.path]);
  const section = '/' + (location.path.split('/')[1] ?? '');
  useEffect(() => {
    const title = sections.find((s) => s.path === section)?.title;
    document.title = title ? `${title} · Switchboard console` : 'Switchboard console';
  }, [section]);
  return (
    <>
      <nav class="top">
        <span class="brand">Switchboard console</span>
        {sections.map((s) => (
          <Link
            key={s.path}
            href={s.path}
            class={section === s.path ? 'active' : ''}
            testid={`nav-${s.path.slice(1)}`}
          >
            {s.title}
          </Link>
        ))}
        <span class="dev-note">development tool · loopback only by default</span>
      </nav>
      <main>{location.path === '/' ? null : <View location={location} />}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
