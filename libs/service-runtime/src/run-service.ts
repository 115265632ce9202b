import { ConfigError } from '@switchboard/config';

/**
 * Runs a service's async main. Start-up failures end the process with exit
 * code 1 and one readable message: a configuration problem prints the list of
 * bad variables rather than a stack trace.
 */
export function runService(main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    }
    process.exit(1);
  });
}
