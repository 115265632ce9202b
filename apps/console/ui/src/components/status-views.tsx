import type { ComponentChildren } from 'preact';

export function Loading({ what }: { what: string }) {
  return (
    <p class="state loading" data-testid="loading">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, retry }: { error: string; retry?: () => void }) {
  return (
    <div class="state error" role="alert" data-testid="error">
      <strong>Failed.</strong> <code>{error}</code>
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <p class="state empty" data-testid="empty">
      {children}
    </p>
  );
}
