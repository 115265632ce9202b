import { deadLetterHeaders, type RedriveSummary } from '@switchboard/event-bus';

/**
 * The summary as lines for a person: the count first (the line scripts
 * read), then per target group, then each letter that was skipped and why.
 */
export function formatRedriveSummary(topic: string, summary: RedriveSummary): string[] {
  const letters = (n: number) => `${n} dead letter${n === 1 ? '' : 's'}`;
  const lines = [`redrove ${letters(summary.redriven)} from ${topic}`];
  for (const [group, count] of [...summary.byGroup].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      group === ''
        ? `  ${count} for every consumer group (no ${deadLetterHeaders.consumerGroup} header)`
        : `  ${count} for consumer group ${group} only`,
    );
  }
  if (summary.skipped.length > 0) {
    lines.push(`skipped ${letters(summary.skipped.length)} of ${topic}, never produced:`);
    for (const s of summary.skipped) {
      lines.push(`  partition ${s.partition} offset ${s.offset}: ${s.reason}`);
    }
  }
  return lines;
}
