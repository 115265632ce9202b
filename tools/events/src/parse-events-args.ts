import { parseArgs } from 'node:util';
import { UsageError } from '@switchboard/cli';

export interface TailCommand {
  readonly command: 'tail';
  readonly topic: string;
  readonly fromBeginning: boolean;
  /** Exit after this many records; undefined means run until interrupted. */
  readonly max: number | undefined;
  readonly brokers: string[];
}

export interface DlqCommand {
  readonly command: 'dlq-list' | 'dlq-redrive';
  /** The dead-letter topic itself (`<topic>.dlq`), whichever of the two names was given. */
  readonly topic: string;
  readonly brokers: string[];
}

export interface LagCommand {
  readonly command: 'lag';
  readonly groupId: string;
  readonly brokers: string[];
}

export type EventsCommand = TailCommand | DlqCommand | LagCommand;

export const eventsUsage = `usage: npm run events -- <command> [options] [--brokers host:port,...]

  tail <topic> [--from-beginning] [--max N]
          print each record of <topic> as one JSON line: coordinates, key,
          CloudEvents headers and the payload decoded through the topic registry.
          Reads through a throwaway consumer group, so service groups are untouched.
            --from-beginning  start at the oldest retained record instead of new ones only
            --max N           exit 0 after N records

  dlq list <topic>
          print every dead letter of <topic> (with or without .dlq) as one JSON
          line: offset, key, ce_type, ce_id, the dlq_* headers, and whether a
          redrive already sent it back (or, as redrive_refused, why it never will).

  dlq redrive <topic>
          republish every dead letter not redriven yet to <topic> (the topic
          its .dlq belongs to), with its original key and headers (dlq_*
          headers dropped), for the consumer group named by its
          dlq_consumer_group header only: other groups skip it. A letter whose
          dlq_original_topic is another topic is skipped and reported, never
          produced. Progress is kept by the consumer group
          switchboard-dlq-redrive, so running it again sends only letters that
          arrived since. Prints how many, per group, and what was skipped.

  lag <group>
          per topic-partition the group's committed offset, the high watermark
          and the lag, then the total, as JSON lines.

  --brokers   bootstrap servers (default: KAFKA_BROKERS or 127.0.0.1:9092)`;

const OPTIONS = {
  'from-beginning': { type: 'boolean' },
  max: { type: 'string' },
  brokers: { type: 'string' },
} as const;
const TAIL_ONLY = new Set(['from-beginning', 'max']);

export function parseEventsArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): EventsCommand {
  // Not strict: node's own messages name no command, so the checks below say
  // what is wrong in this tool's words (and which command an option belongs to).
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const tailOnly: string[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!(token.name in OPTIONS)) throw new UsageError(`unknown option ${token.rawName}`);
    const type = OPTIONS[token.name as keyof typeof OPTIONS].type;
    if (type === 'string' && token.value === undefined) {
      throw new UsageError(`${token.rawName} needs a value`);
    }
    if (type === 'boolean' && token.inlineValue) {
      throw new UsageError(`${token.rawName} takes no value`);
    }
    if (TAIL_ONLY.has(token.name)) tailOnly.push(token.rawName);
  }
  const fromBeginning = values['from-beginning'] === true;
  let max: number | undefined;
  if (typeof values.max === 'string') {
    if (!/^\d+$/.test(values.max) || Number(values.max) < 1) {
      throw new UsageError(`--max must be a positive whole number (got "${values.max}")`);
    }
    max = Number(values.max);
  }
  const brokers =
    typeof values.brokers === 'string' ? values.brokers : env.KAFKA_BROKERS || '127.0.0.1:9092';
  const list = brokers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const [command, ...rest] = positionals;
  const noMore = (extra: readonly string[]) => {
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  };
  const noTailOptions = (name: string) => {
    if (tailOnly.length > 0)
      throw new UsageError(`${tailOnly[0]} is an option of tail, not ${name}`);
  };
  switch (command) {
    case 'tail': {
      const [topic, ...extra] = rest;
      if (!topic) throw new UsageError('tail needs a topic');
      noMore(extra);
      return { command, topic, fromBeginning, max, brokers: list };
    }
    case 'dlq': {
      const [action, topic, ...extra] = rest;
      if (action !== 'list' && action !== 'redrive') {
        throw new UsageError(action ? `unknown dlq action ${action}` : 'dlq needs list or redrive');
      }
      if (!topic) throw new UsageError(`dlq ${action} needs a topic`);
      noMore(extra);
      noTailOptions(`dlq ${action}`);
      const dlqTopic = topic.endsWith('.dlq') ? topic : `${topic}.dlq`;
      return { command: `dlq-${action}`, topic: dlqTopic, brokers: list };
    }
    case 'lag': {
      const [groupId, ...extra] = rest;
      if (!groupId) throw new UsageError('lag needs a consumer group');
      noMore(extra);
      noTailOptions('lag');
      return { command, groupId, brokers: list };
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'missing command');
  }
}
