import type {
  DeadLetter,
  RedriveDeadLettersResponse,
} from '@switchboard/contracts/console/v1/console_service_pb';
import { useState } from 'preact/hooks';
import { Link } from '../components/link';
import { RecordView } from '../components/record-view';
import { Empty, ErrorBox, Loading } from '../components/status-views';
import { useCall } from '../hooks/use-call';
import { consoleClient } from '../lib/console-client';
import { describeError } from '../lib/describe-error';
import { adminUser, logIn } from '../lib/login';
import { formatTime } from '../lib/time';

function LetterRow({ letter }: { letter: DeadLetter }) {
  return (
    <tr data-testid="dead-letter" data-redriven={String(letter.redriven)}>
      <td>
        <Link href={`/topics/${encodeURIComponent(letter.originalTopic)}`}>
          {letter.originalTopic}
        </Link>{' '}
        p{letter.originalPartition} @{letter.originalOffset.toString()}
      </td>
      <td>
        <code data-testid="dead-letter-key">{letter.record?.key}</code>
      </td>
      <td>{letter.consumerGroup}</td>
      <td>{letter.attempts}</td>
      <td class="error-text" data-testid="dead-letter-error">
        {letter.error}
      </td>
      <td>{formatTime(letter.failedAt)}</td>
      <td data-testid="dead-letter-state">
        {letter.redriven
          ? 'redriven'
          : letter.redriveRefused
            ? `refused: ${letter.redriveRefused}`
            : 'pending'}
      </td>
      <td>
        {letter.record && (
          <details>
            <summary>record</summary>
            <RecordView record={letter.record} testid="dead-letter-record" />
          </details>
        )}
      </td>
    </tr>
  );
}

type Redrive =
  | { readonly step: 'confirm' }
  | { readonly step: 'running' }
  | { readonly step: 'done'; readonly result: RedriveDeadLettersResponse }
  | { readonly step: 'failed'; readonly error: string };

/** Asks before it acts: a redrive sends records back to consumers, and cannot be undone. */
function RedriveDialog(props: {
  topic: string;
  pending: number;
  close: (redrove: boolean) => void;
}) {
  const [token, setToken] = useState('');
  const [state, setState] = useState<Redrive>({ step: 'confirm' });
  const [loginError, setLoginError] = useState('');
  const redrive = async () => {
    setState({ step: 'running' });
    try {
      const result = await consoleClient.redriveDeadLetters(
        { topic: props.topic },
        { headers: token ? { authorization: `Bearer ${token}` } : {} },
      );
      setState({ step: 'done', result });
    } catch (err) {
      setState({ step: 'failed', error: describeError(err) });
    }
  };
  return (
    <div class="dialog-backdrop">
      <div class="dialog" role="dialog" aria-modal="true" data-testid="redrive-dialog">
        <h2>
          Redrive <code>{props.topic}</code>?
        </h2>
        {state.step === 'confirm' || state.step === 'failed' ? (
          <>
            <p>
              Sends its {props.pending} pending letters back to their original topics, as{' '}
              <code>events dlq redrive</code> does. Needs an admin's token.
            </p>
            <label>
              admin token{' '}
              <input
                data-testid="redrive-token"
                value={token}
                onInput={(e) => setToken((e.target as HTMLInputElement).value)}
              />
            </label>{' '}
            <button
              type="button"
              data-testid="redrive-login-admin"
              onClick={() => {
                setLoginError('');
                logIn(adminUser).then(setToken, (err: unknown) =>
                  setLoginError(describeError(err)),
                );
              }}
            >
              log in as admin (development)
            </button>
            {loginError && <ErrorBox error={loginError} />}
            {state.step === 'failed' && <ErrorBox error={state.error} />}
            <p class="buttons">
              <button
                type="button"
                class="danger"
                data-testid="redrive-confirm"
                onClick={() => void redrive()}
              >
                Redrive
              </button>
              <button type="button" onClick={() => props.close(false)}>
                Cancel
              </button>
            </p>
          </>
        ) : state.step === 'running' ? (
          <Loading what="the redrive" />
        ) : (
          <>
            <p data-testid="redrive-result">
              Redriven: {state.result.redriven}. Refused: {state.result.refused.length}.
            </p>
            {state.result.refused.length > 0 && (
              <ul>
                {state.result.refused.map((l, i) => (
                  <li key={i}>
                    {l.originalTopic} @{l.originalOffset.toString()}: {l.redriveRefused}
                  </li>
                ))}
              </ul>
            )}
            <p class="buttons">
              <button type="button" data-testid="redrive-close" onClick={() => props.close(true)}>
                Close
              </button>
            </p>
          </>
        )}
      </div>
    </div>
  );
}

export function DeadLettersView() {
  const call = useCall(
    (signal) => consoleClient.listDeadLetters({ limit: 100 }, { signal }),
    'dlq',
  );
  const [redriving, setRedriving] = useState<string>();
  return (
    <section data-testid="dead-letters-view">
      <h1>Dead letters</h1>
      <p>
        <button type="button" onClick={call.reload} data-testid="dead-letters-refresh">
          Refresh
        </button>
      </p>
      {call.status === 'loading' && <Loading what="dead letters" />}
      {call.status === 'error' && <ErrorBox error={call.error} retry={call.reload} />}
      {call.status === 'ok' && call.data.topics.length === 0 && (
        <Empty>No dead-letter topics.</Empty>
      )}
      {call.status === 'ok' &&
        call.data.topics.map((t) => {
          const pending = t.letters.filter((l) => !l.redriven && !l.redriveRefused).length;
          return (
            <div key={t.name} class="dlq-topic" data-testid="dlq-topic" data-topic={t.name}>
              <h2>
                <code>{t.name}</code>{' '}
                <span class="meta">
                  {t.letters.length} letters, {pending} pending
                </span>{' '}
                <button
                  type="button"
                  data-testid="redrive-open"
                  disabled={pending === 0}
                  onClick={() => setRedriving(t.name)}
                >
                  Redrive…
                </button>
              </h2>
              {t.letters.length === 0 ? (
                <Empty>No letters.</Empty>
              ) : (
                <table class="list">
                  <thead>
                    <tr>
                      <th>from</th>
                      <th>key</th>
                      <th>group</th>
                      <th>attempts</th>
                      <th>error</th>
                      <th>failed at</th>
                      <th>state</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {t.letters.map((l) => (
                      // Offsets repeat across a topic's partitions: the pair is the identity.
                      <LetterRow key={`${l.record?.partition}-${l.record?.offset}`} letter={l} />
                    ))}
                  </tbody>
                </table>
              )}
              {redriving === t.name && (
                <RedriveDialog
                  topic={t.name}
                  pending={pending}
                  close={(redrove) => {
                    setRedriving(undefined);
                    if (redrove) call.reload();
                  }}
                />
              )}
            </div>
          );
        })}
    </section>
  );
}
