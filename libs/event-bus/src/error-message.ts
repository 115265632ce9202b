/** An error's message for a span status or a dead letter; its name when the message is empty. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
