/**
 * Turns a keyset cursor (where the next page starts) into an opaque page
 * token and back. Callers must only hand back what they were given, so
 * decode() answers undefined for anything this codec did not issue.
 */
export interface PageTokenCodec<Cursor> {
  encode(cursor: Cursor): string;
  decode(token: string): Cursor | undefined;
}

/** How one list writes its cursor as text, and reads it back (undefined: not ours). */
export interface PageCursorFormat<Cursor> {
  write(cursor: Cursor): string;
  read(text: string): Cursor | undefined;
}
