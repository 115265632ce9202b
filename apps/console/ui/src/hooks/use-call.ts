import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError, isCanceled } from '../lib/describe-error';

export type CallState<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'ok'; readonly data: T }
  | { readonly status: 'error'; readonly error: string };

/**
 * One unary call, made again whenever `key` changes or reload() is called.
 * The call is aborted when the view goes away or a newer call replaces it,
 * so a slow old answer never overwrites a newer one.
 */
export function useCall<T>(
  call: (signal: AbortSignal) => Promise<T>,
  key: string,
): CallState<T> & { reload: () => void } {
  const [state, setState] = useState<CallState<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    call(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: 'ok', data });
      },
      (err: unknown) => {
        if (!controller.signal.aborted && !isCanceled(err)) {
          setState({ status: 'error', error: describeError(err) });
        }
      },
    );
    return () => controller.abort();
    // `call` is a fresh closure each render; `key` says when its inputs changed.
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
