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

/**
 * The variables a README block sets in front of `npm start`
 * (`NAME=value … npm start`, lines joined at a trailing backslash), so a test
 * starts its stack the way that block does. Plain words only: a value with
 * quotes or `$` would need a shell to mean what the reader's shell makes of it.
 */
export function envBeforeNpmStart(block: string): Record<string, string> {
  const words = block.replace(/\\\n/g, ' ').trim().split(/\s+/);
  if (words.slice(-2).join(' ') !== 'npm start') {
    throw new Error(`not a NAME=value … npm start command: ${block}`);
  }
  const env: Record<string, string> = {};
  for (const word of words.slice(0, -2)) {
    const match = /^([A-Z][A-Z0-9_]*)=([^'"$\\`]*)$/.exec(word);
    if (!match) throw new Error(`not a plain NAME=value word: ${word}`);
    env[match[1]!] = match[2]!;
  }
  return env;
}
