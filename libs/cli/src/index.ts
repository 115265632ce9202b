export { CliError } from './cli-error';
export { runCli, runCliCommand, type CliProgram } from './run-cli';
export { UsageError } from './usage-error';
