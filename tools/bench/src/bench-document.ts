// docs/benchmarks.md from a full run. The generated part sits between two
// markers, so notes written by hand around it (profiles, before/after figures,
// what did not help) survive the next run.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SectionResult } from './bench-result';
import { describeMachine, type MachineInfo } from './machine-info';
import { renderGoalsMarkdown, renderMarkdown } from './render-table';

const BEGIN = '<!-- bench:results -->';
const END = '<!-- /bench:results -->';

const HEADER = `# Benchmarks

Measured by \`npm run bench\` (the full suite; \`npm run bench -- --quick\` runs a
subset in under three minutes and prints the same table without writing this
file). Everything runs on this machine over loopback: real service processes
started from their \`main.ts\`, a private Kafka broker from the workspace's own
jars, a private PostgreSQL server from the same embedded binaries \`npm start\`
uses (a database per service), and load from real tools (\`ghz\` for gRPC, autocannon for
HTTP, Kafka's \`ConsumerPerformance\`).

## Method

- **Baselines in the same run.** Each comparison runs its variants in
  alternating rounds (A B A B …, at least two), so drift on the machine hits
  every variant alike. The table gives the median of the rounds and their
  min–max spread; a ratio is the median of the measured variant over the
  median of its baseline.
- **Warm-up first.** Every load test starts with an unrecorded warm-up run
  (connections, JIT, caches), and starts every process before any round.
- **Bounded load.** Every load loop stops at a call count and a duration,
  whichever comes first; only loopback addresses are used.
- **No test asserts a timing.** Goals are reported as met or missed, never
  enforced.

`;

export function renderDocument(
  sections: readonly SectionResult[],
  machine: MachineInfo,
  command: string,
): string {
  return [
    BEGIN,
    '',
    `## Results`,
    '',
    `- **Date:** ${machine.date}`,
    `- **Machine:** ${describeMachine(machine)}`,
    `- **Command:** \`${command}\``,
    '',
    '### Goals',
    '',
    renderGoalsMarkdown(sections),
    renderMarkdown(sections),
    END,
  ].join('\n');
}

/** Writes the results into the document, keeping what is outside the markers. */
export function writeDocument(path: string, results: string): void {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) {
    const current = readFileSync(path, 'utf8');
    const begin = current.indexOf(BEGIN);
    const end = current.indexOf(END);
    if (begin !== -1 && end > begin) {
      writeFileSync(path, current.slice(0, begin) + results + current.slice(end + END.length));
    } else {
      // A document without markers is someone's text: add to it, never replace it.
      writeFileSync(path, `${current.trimEnd()}\n\n${results}\n`);
    }
    return;
  }
  writeFileSync(path, `${HEADER}${results}\n`);
}
