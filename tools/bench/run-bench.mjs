// `npm run bench`: installs what is missing (as `npm start` does), bundles the
// bench and its child-process entries into dist/bench, then runs it in this
// process so Ctrl-C and the exit code behave as with `node main.cjs`.
import '../scripts/require-node.mjs';
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureWorkspace } from '../scripts/ensure-workspace.mjs';

// bundle.mjs imports esbuild, which a fresh clone has only after this install:
// a static import of it would fail before ensureWorkspace could run.
ensureWorkspace(resolve(dirname(fileURLToPath(import.meta.url)), '../..'));
const { bundle, workspaceRoot } = await import('../scripts/bundle.mjs');
const out = join(workspaceRoot, 'dist', 'bench');
const main = await bundle('tools/bench/src/main.ts', 'dist/bench/main.cjs');
await bundle('tools/bench/src/grpc-overhead-server.ts', 'dist/bench/grpc-overhead-server.cjs');
await bundle('tools/bench/src/autocannon-runner.ts', 'dist/bench/autocannon-runner.cjs');
// The edge module runs the gateway from its own main.ts, as `npm start` does.
await bundle('apps/edge-gateway/src/main.ts', 'dist/bench/edge-gateway/main.cjs');
// startServiceProcess (libs/testing) preloads this guard from beside its own
// code, which inside the bundle is dist/bench: it makes the services it
// starts exit if the bench dies without stopping them.
copyFileSync(
  join(workspaceRoot, 'libs', 'testing', 'src', 'exit-with-parent.cjs'),
  join(out, 'exit-with-parent.cjs'),
);
process.argv = [process.argv[0], main, ...process.argv.slice(2)];
createRequire(import.meta.url)(main);
