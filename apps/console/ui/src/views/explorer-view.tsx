import type {
  ExplorerField,
  ExplorerMethod,
  ExplorerService,
  InvokeStatus,
} from '@switchboard/contracts/console/v1/console_service_pb';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Link } from '../components/link';
import { Empty, ErrorBox, Loading } from '../components/status-views';
import { useCall } from '../hooks/use-call';
import { consoleClient } from '../lib/console-client';
import { describeError, isCanceled } from '../lib/describe-error';
import { demoUser, logIn } from '../lib/login';
import { navigate, withQuery, type Location } from '../lib/router';

/** The token outlives a page reload (not the tab): logging in again for every call is tedious. */
const TOKEN_KEY = 'switchboard-console-token';

function Fields({ fields }: { fields: readonly ExplorerField[] }) {
  return (
    <ul class="fields">
      {fields.map((f) => (
        <li key={f.jsonName}>
          <code>{f.jsonName}</code>{' '}
          <span class="type">
            {f.map ? 'map ' : f.repeated ? 'repeated ' : ''}
            {f.type}
          </span>
          {f.enumValues.length > 0 && <span class="meta"> ({f.enumValues.join(' | ')})</span>}
          {f.comment && <div class="comment">{f.comment}</div>}
          {f.fields.length > 0 && <Fields fields={f.fields} />}
        </li>
      ))}
    </ul>
  );
}

interface Run {
  readonly running: boolean;
  readonly messages: readonly string[];
  readonly status?: InvokeStatus;
  readonly traceId?: string;
  readonly error?: string;
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

function MethodPanel({ service, method }: { service: ExplorerService; method: ExplorerMethod }) {
  const [request, setRequest] = useState(method.requestTemplate || '{}');
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? '');
  const [loginError, setLoginError] = useState('');
  const [run, setRun] = useState<Run>({ running: false, messages: [] });
  const controller = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => controller.current?.abort(), []);
  const keepToken = (t: string) => {
    setToken(t);
    sessionStorage.setItem(TOKEN_KEY, t);
  };
  const send = async () => {
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    setRun({ running: true, messages: [] });
    try {
      for await (const res of consoleClient.invoke(
        { service: service.name, method: method.name, requestJson: request, token },
        { signal: mine.signal },
      )) {
        const result = res.result;
        setRun((r) => ({
          ...r,
          traceId: res.traceId || r.traceId,
          messages: result.case === 'messageJson' ? [...r.messages, result.value] : r.messages,
          status: result.case === 'status' ? result.value : r.status,
        }));
      }
      setRun((r) => ({ ...r, running: false }));
    } catch (err) {
      if (isCanceled(err) && mine.signal.aborted) return;
      setRun((r) => ({ ...r, running: false, error: describeError(err) }));
    }
  };
  return (
    <div class="method-panel" data-testid="explorer-method-panel">
      <h2>
        {service.name}/{method.name}
      </h2>
      <p class="meta">
        {method.inputType} → {method.serverStreaming ? 'stream ' : ''}
        {method.outputType} · served by {service.node} at {service.address}
      </p>
      {method.comment && <p class="comment">{method.comment}</p>}
      <div class="editor">
        <div>
          <label for="explorer-request">Request (proto3 JSON)</label>
          <textarea
            id="explorer-request"
            data-testid="explorer-request"
            spellcheck={false}
            rows={12}
            value={request}
            onInput={(e) => setRequest((e.target as HTMLTextAreaElement).value)}
          />
          <div class="token">
            <label>
              token{' '}
              <input
                data-testid="explorer-token"
                placeholder="sent as authorization: Bearer …"
                value={token}
                onInput={(e) => keepToken((e.target as HTMLInputElement).value)}
              />
            </label>{' '}
            <button
              type="button"
              data-testid="explorer-login-demo"
              onClick={() => {
                setLoginError('');
                logIn(demoUser).then(keepToken, (err: unknown) =>
                  setLoginError(describeError(err)),
                );
              }}
            >
              log in as the demo user
            </button>
            {loginError && <ErrorBox error={loginError} />}
          </div>
          <p>
            <button
              type="button"
              class="primary"
              data-testid="explorer-send"
              disabled={run.running}
              onClick={() => void send()}
            >
              {run.running ? 'Sending…' : 'Send'}
            </button>
            {run.running && method.serverStreaming && (
              <button type="button" onClick={() => controller.current?.abort()}>
                Stop
              </button>
            )}
          </p>
        </div>
        <div class="field-list">
          <h3>Fields of {method.inputType}</h3>
          {method.inputFields.length === 0 ? (
            <p class="meta">none</p>
          ) : (
            <Fields fields={method.inputFields} />
          )}
        </div>
      </div>
      <Result run={run} />
    </div>
  );
}

function Result({ run }: { run: Run }) {
  if (!run.running && run.messages.length === 0 && !run.status && !run.error) return null;
  const ok = run.status?.code === 0;
  return (
    <div class="result" data-testid="explorer-result">
      <h3>Response</h3>
      {run.error && <ErrorBox error={run.error} />}
      {run.status && (
        <div
          class={`status ${ok ? 'ok' : 'failed'}`}
          data-testid="explorer-status"
          data-code={run.status.codeName}
        >
          <strong>{run.status.codeName}</strong> ({run.status.code}) {run.status.message}
          {run.status.detailsJson.map((d, i) => (
            <pre key={i} class="json">
              {pretty(d)}
            </pre>
          ))}
        </div>
      )}
      {run.traceId && (
        <p>
          <Link href={`/traces/${run.traceId}`} testid="explorer-trace-link">
            Open trace {run.traceId}
          </Link>
        </p>
      )}
      {run.running && <Loading what="responses" />}
      {run.messages.map((m, i) => (
        <pre key={i} class="json" data-testid="explorer-response">
          {pretty(m)}
        </pre>
      ))}
    </div>
  );
}

export function ExplorerView({ location }: { location: Location }) {
  const call = useCall((signal) => consoleClient.listServices({}, { signal }), 'services');
  const serviceName = location.query.get('service') ?? '';
  const methodName = location.query.get('method') ?? '';
  const choose = (service: string, method: string) =>
    navigate(withQuery('/explorer', { service, method }), { replace: true });
  if (call.status === 'loading') return <Loading what="services (server reflection)" />;
  if (call.status === 'error') return <ErrorBox error={call.error} retry={call.reload} />;
  const services = call.data.services;
  const service = services.find((s) => s.name === serviceName);
  const method = service?.methods.find((m) => m.name === methodName);
  return (
    <section data-testid="explorer-view">
      <h1>API explorer</h1>
      {services.length === 0 ? (
        <Empty>No service answered reflection.</Empty>
      ) : (
        <p class="pickers">
          <label>
            service{' '}
            <select
              data-testid="explorer-service"
              value={serviceName}
              onChange={(e) => {
                const name = (e.target as HTMLSelectElement).value;
                choose(name, services.find((s) => s.name === name)?.methods[0]?.name ?? '');
              }}
            >
              <option value="">choose…</option>
              {services.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name} ({s.node})
                </option>
              ))}
            </select>
          </label>{' '}
          {service && (
            <label>
              method{' '}
              <select
                data-testid="explorer-method"
                value={methodName}
                onChange={(e) => choose(service.name, (e.target as HTMLSelectElement).value)}
              >
                {service.methods.map((m) => (
                  <option key={m.name} value={m.name}>
                    {m.name}
                    {m.serverStreaming ? ' (stream)' : ''}
                  </option>
                ))}
              </select>
            </label>
          )}
        </p>
      )}
      {service && method && (
        <MethodPanel key={`${service.name}/${method.name}`} service={service} method={method} />
      )}
      {service && !method && <Empty>Pick a method.</Empty>}
    </section>
  );
}
