// Runs a TypeScript entry point of this workspace: bundles it with esbuild
// (fast, and it understands the tsconfig path aliases), then loads the bundle
// in this same process so signals and the exit code behave as with `node file`.
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { bundle } from './bundle.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node tools/scripts/run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
const name = entry.replace(/\/src\/main\.ts$/, '').replace(/[/.]/g, '_') || basename(entry);
const outfile = await bundle(entry, `dist/run/${name}.cjs`);
// The bundle sees the arguments after the entry, as if it had been run directly.
process.argv = [process.argv[0], outfile, ...args];
createRequire(import.meta.url)(outfile);
