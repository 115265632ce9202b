import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findGrpcurl } from './grpcurl';

const root = resolve(__dirname, '../../..');

/**
 * The shell block between `<!-- walkthrough:NAME -->` and
 * `<!-- /walkthrough:NAME -->` in the README, exactly as a reader copies it.
 */
export function readmeWalkthrough(name: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`<!-- walkthrough:${name} -->`);
  const end = readme.indexOf(`<!-- /walkthrough:${name} -->`);
  if (start < 0 || end < start) throw new Error(`README has no walkthrough "${name}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start, end));
  if (!block) throw new Error(`walkthrough "${name}" has no sh block`);
  return block[1]!;
}

/**
 * Runs a walkthrough in bash from the repository root. -e and pipefail make
 * the first failing command fail the test, which a reader's shell would not.
 */
export function runWalkthrough(script: string, env: NodeJS.ProcessEnv = {}): string {
  const path = `${dirname(findGrpcurl())}:${process.env.PATH}`;
  return execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: root,
    env: { ...process.env, PATH: path, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  }).toString();
}
