// Copies the third-party protos the contracts import (google.api.http) and the
// standard error details the services send (google.rpc) from their npm package
// into .proto-deps/, an ignored folder buf reads as a second module. They are never committed: the package pinned in package.json is the
// one source, and buf's registry is not needed to build.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILES = [
  'google/api/annotations.proto',
  'google/api/http.proto',
  'google/rpc/error_details.proto',
  'google/rpc/status.proto',
];

/** Stages into `target` (default: the workspace itself) from the workspace's node_modules. */
export function stageProtoDeps(root, target = root) {
  const require = createRequire(join(root, 'package.json'));
  const packageRoot = dirname(require.resolve('google-proto-files/package.json'));
  for (const file of FILES) {
    const to = join(target, '.proto-deps', file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(packageRoot, file), to);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  stageProtoDeps(resolve(dirname(fileURLToPath(import.meta.url)), '../..'));
}
