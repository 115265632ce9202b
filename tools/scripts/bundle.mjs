// Compiles one TypeScript entry point (and the workspace libs it imports through
// the tsconfig path aliases) into a single CommonJS file. npm packages stay
// external, so they load from node_modules as usual.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function bundle(entry, outfile) {
  await build({
    entryPoints: [resolve(workspaceRoot, entry)],
    outfile: resolve(workspaceRoot, outfile),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'linked',
    tsconfig: join(workspaceRoot, 'tsconfig.base.json'),
    logLevel: 'warning',
  });
  return resolve(workspaceRoot, outfile);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [entry, outfile] = process.argv.slice(2);
  if (!entry || !outfile) {
    console.error('usage: node tools/scripts/bundle.mjs <entry.ts> <outfile.cjs>');
    process.exit(2);
  }
  await bundle(entry, outfile);
}
