import type { Clock } from '@switchboard/timing';

export interface SinkRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The whole exchange, from connecting to reading the answer, must fit in this. */
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly fetch: typeof fetch;
}

export type SinkAnswer =
  /** The sink answered, with any status. */
  | {
      readonly answered: true;
      readonly status: number;
      readonly retryAfter: string | null;
      readonly location: string | null;
      /** The start of the answer's body, for last_error: what the sink said when it refused. */
      readonly excerpt: string;
    }
  /** No answer: refused, reset, unresolvable, or too slow. */
  | { readonly answered: false; readonly error: string };

/** How much of a sink's answer is kept; the rest is never read. */
const EXCERPT_BYTES = 512;

/**
 * One POST to a sink. Redirects are not followed: a sink URL was checked
 * against internal addresses when the subscription was made, and a redirect
 * would let the sink send us anywhere (SSRF), so a 3xx comes back as an
 * answer like any other. The timeout runs on the injected clock so tests
 * step it instead of waiting.
 */
export async function postToSink(request: SinkRequest): Promise<SinkAnswer> {
  const controller = new AbortController();
  const timer = request.clock.setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    let response: Response;
    try {
      response = await request.fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) {
        return { answered: false, error: `no answer within ${request.timeoutMs} ms` };
      }
      return { answered: false, error: describeNetworkError(err) };
    }
    return {
      answered: true,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      location: response.headers.get('location'),
      // The status decides the outcome; a body cut short by the timeout only shortens the excerpt.
      excerpt: await readExcerpt(response).catch(() => ''),
    };
  } finally {
    timer.cancel();
  }
}

/** Reads at most EXCERPT_BYTES of the body and drops the rest, so the connection is freed. */
async function readExcerpt(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES);
  return new TextDecoder().decode(bytes).replace(/\s+/g, ' ').trim();
}

/** fetch says only "fetch failed"; the cause says what happened (ECONNREFUSED, ENOTFOUND, ...). */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') {
    return `${cause.code}${typeof cause.message === 'string' ? `: ${cause.message}` : ''}`;
  }
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
