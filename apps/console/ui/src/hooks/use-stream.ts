import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError, isCanceled } from '../lib/describe-error';

export interface StreamState<T> {
  /** open: connected, no message yet; live: messages arriving; ended/error: closed. */
  readonly status: 'open' | 'live' | 'ended' | 'error';
  readonly items: readonly T[];
  readonly error?: string;
}

/**
 * A server stream, kept open while the view shows it. `keep` bounds how many
 * messages the page holds, newest first, so a busy topic cannot grow it.
 */
export function useStream<M, T>(
  open: (signal: AbortSignal) => AsyncIterable<M>,
  map: (message: M) => T,
  key: string,
  keep: number,
  mode: 'append' | 'replace' = 'append',
): StreamState<T> & { reconnect: () => void } {
  const [state, setState] = useState<StreamState<T>>({ status: 'open', items: [] });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'open', items: [] });
    void (async () => {
      try {
        for await (const message of open(controller.signal)) {
          const item = map(message);
          setState((s) => ({
            status: 'live',
            items: mode === 'replace' ? [item] : [item, ...s.items].slice(0, keep),
          }));
        }
        if (!controller.signal.aborted) setState((s) => ({ ...s, status: 'ended' }));
      } catch (err) {
        if (controller.signal.aborted || isCanceled(err)) return;
        setState((s) => ({ ...s, status: 'error', error: describeError(err) }));
      }
    })();
    return () => controller.abort();
  }, [key, generation]);
  const reconnect = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reconnect };
}
