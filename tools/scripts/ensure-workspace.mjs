// Makes a fresh clone runnable: installs npm dependencies when they are missing
// or older than the lockfile. Generated contract code is committed, so it is
// only regenerated if someone deleted it.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stageProtoDeps } from './stage-proto-deps.mjs';

export function ensureWorkspace(root) {
  const installed = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
    console.log('[switchboard] installing npm dependencies (npm ci)...');
    run(root, 'npm', ['ci', '--no-audit', '--no-fund']);
  }
  // buf reads google.api's and buf.validate's protos from here (lint,
  // breaking, generate). Running needs none of them (the generated code is
  // committed), so a machine without Maven can still start the services.
  try {
    stageProtoDeps(root);
  } catch (err) {
    console.warn(`[switchboard] buf commands will fail: ${err.message}`);
  }
  if (!existsSync(join(root, 'libs/contracts/src/gen/switchboard'))) {
    console.log('[switchboard] generating contract code (buf generate)...');
    run(root, 'npx', ['buf', 'generate']);
  }
}

export function run(cwd, command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`[switchboard] \`${command} ${args.join(' ')}\` failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}
