// Command-line options of `npm run bench`.
import { parseArgs } from 'node:util';

/** In the order they run: the consumer backlog goes first, onto a broker nothing else has used yet. */
export const MODULE_NAMES = [
  'grpc',
  'transport',
  'consumer',
  'sync',
  'edge',
  'telemetry',
  'notification',
  'subscription-delivery',
  'startup',
] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

export interface BenchArgs {
  readonly quick: boolean;
  readonly rounds: number;
  readonly only: readonly ModuleName[];
  /** --only was given: its modules run even when --quick leaves them out by default. */
  readonly explicit: boolean;
  /**
   * Where to write the document: docs/benchmarks.md after a full run of every
   * module, the --out path whatever ran, or nowhere (undefined).
   */
  readonly out: string | undefined;
}

export const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--only ${MODULE_NAMES.join(',')}]
                              [--no-write] [--out FILE]

  --quick      short runs of grpc, transport, consumer and sync (under 3 minutes);
               with --only, short runs of the named ones; never writes the document
  --rounds N   alternating rounds per comparison, at least 2 (default 2 quick, 3 full)
  --only LIST  run only these measurements (comma-separated); never writes the document
  --no-write   print the table only
  --out FILE   write the document to FILE instead, whatever ran (to check a partial run)`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const rounds = values.rounds === undefined ? (quick ? 2 : 3) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 2 || rounds > 20) {
    throw new Error(`--rounds must be an integer from 2 to 20 (alternating A B A B needs 2)`);
  }
  let only: ModuleName[] = [...MODULE_NAMES];
  if (values.only !== undefined) {
    const names = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !(MODULE_NAMES as readonly string[]).includes(n));
    if (unknown.length > 0)
      throw new Error(`unknown measurement(s): ${unknown.join(', ')}\n${USAGE}`);
    only = names as ModuleName[];
  }
  const complete = values.only === undefined;
  return {
    quick,
    rounds,
    only,
    explicit: !complete,
    out:
      values.out ??
      (!quick && complete && !(values['no-write'] ?? false) ? 'docs/benchmarks.md' : undefined),
  };
}
