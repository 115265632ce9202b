import { CliError } from './cli-error';
import { UsageError } from './usage-error';

/** What differs between the workspace's command-line tools. */
export interface CliProgram<Command> {
  /** Prefixes every line the tool writes to stderr. */
  name: string;
  usage: string;
  /** Throws a UsageError for arguments it cannot accept. */
  parse(argv: readonly string[]): Command;
  run(command: Command): Promise<void>;
  /** A one-line message for a failure this tool can explain, beyond CliError. */
  explain?(err: unknown): string | undefined;
}

/**
 * Parses and runs one command and returns the exit code: 2 for bad
 * arguments, 1 for a failure the user can act on, 0 otherwise. Anything else
 * is a bug and is rethrown, so its stack is not lost.
 */
export async function runCliCommand<Command>(
  program: CliProgram<Command>,
  argv: readonly string[],
  stderr: { write(text: string): unknown } = process.stderr,
): Promise<number> {
  let command: Command;
  try {
    command = program.parse(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`${program.name}: ${err.message}\n\n${program.usage}\n`);
      return 2;
    }
    throw err;
  }
  try {
    await program.run(command);
    return 0;
  } catch (err) {
    const message = err instanceof CliError ? err.message : program.explain?.(err);
    if (message === undefined) throw err;
    stderr.write(`${program.name}: ${message}\n`);
    return 1;
  }
}

/** The process's main: runs the command from argv and exits with its code. */
export function runCli<Command>(program: CliProgram<Command>): void {
  runCliCommand(program, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${program.name}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
