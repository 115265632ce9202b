export interface TailCommand {
  readonly command: 'tail';
  readonly topic: string;
  readonly fromBeginning: boolean;
  /** Exit after this many records; undefined means run until interrupted. */
  readonly max: number | undefined;
  readonly brokers: string[];
}

export const eventsUsage = `usage: npm run events -- tail <topic> [--from-beginning] [--max N] [--brokers host:port,...]

  tail    print each record of <topic> as one JSON line: coordinates, key,
          CloudEvents headers and the payload decoded through the topic registry.
          Reads through a throwaway consumer group, so service groups are untouched.

  --from-beginning  start at the oldest retained record instead of new ones only
  --max N           exit 0 after N records
  --brokers         bootstrap servers (default: KAFKA_BROKERS or 127.0.0.1:9092)`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseEventsArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): TailCommand {
  const positionals: string[] = [];
  let fromBeginning = false;
  let max: number | undefined;
  let brokers = env.KAFKA_BROKERS || '127.0.0.1:9092';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') ? splitFlag(arg) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--from-beginning':
        fromBeginning = true;
        break;
      case '--max': {
        const raw = value();
        if (!/^\d+$/.test(raw) || Number(raw) < 1) {
          throw new UsageError(`--max must be a positive whole number (got "${raw}")`);
        }
        max = Number(raw);
        break;
      }
      case '--brokers':
        brokers = value();
        break;
      default:
        if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}`);
        positionals.push(arg);
    }
  }
  const [command, topic, ...rest] = positionals;
  if (command !== 'tail') {
    throw new UsageError(command ? `unknown command ${command}` : 'missing command');
  }
  if (!topic) throw new UsageError('tail needs a topic');
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  const list = brokers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { command, topic, fromBeginning, max, brokers: list };
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return eq === -1 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}
