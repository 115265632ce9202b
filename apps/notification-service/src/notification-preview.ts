import { notificationLimits } from './notification-limits';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const ELLIPSIS = '…';

/**
 * The start of a post for a notification: at most `maxChars` code points,
 * ending in "…" when cut. Cut between grapheme clusters, so an emoji family
 * or a letter with its accent is kept whole or dropped whole, never split
 * into something that renders as garbage. Line breaks become spaces: a
 * preview is one line.
 */
export function previewOf(
  text: string,
  maxChars: number = notificationLimits.previewMaxChars,
): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').trim();
  if ([...flat].length <= maxChars) return flat;
  const budget = maxChars - 1; // room for the ellipsis
  let used = 0;
  let out = '';
  for (const { segment } of graphemes.segment(flat)) {
    const size = [...segment].length;
    if (used + size > budget) break;
    out += segment;
    used += size;
  }
  return out.trimEnd() + ELLIPSIS;
}
