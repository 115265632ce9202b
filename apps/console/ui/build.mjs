// Builds the console's browser app into dist/apps/console/ui: one index.html
// and content-hashed assets, so the server may cache them forever. Everything
// comes from the workspace (no CDN, no remote fonts): the console must work on
// a machine with no way out.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const workspaceRoot = resolve(here, '../../..');
export const uiOutDir = join(workspaceRoot, 'dist/apps/console/ui');

export async function buildConsoleUi(outDir = uiOutDir) {
  rmSync(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: [join(here, 'src/main.tsx')],
    outdir: assets,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    // The UI's own tsconfig: DOM libs, Preact's JSX and the workspace aliases.
    tsconfig: join(here, 'tsconfig.json'),
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((f) => /^main-.*\.js$/.test(f));
  const style = outputs.find((f) => /^main-.*\.css$/.test(f));
  if (!script) throw new Error(`esbuild wrote no main script: ${outputs.join(', ')}`);
  const page = readFileSync(join(here, 'index.html'), 'utf8')
    .replace('<!--styles-->', style ? `<link rel="stylesheet" href="/assets/${style}" />` : '')
    .replace('<!--script-->', `<script type="module" src="/assets/${script}"></script>`);
  writeFileSync(join(outDir, 'index.html'), page);
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = await buildConsoleUi(process.argv[2] ? resolve(process.argv[2]) : uiOutDir);
  console.log(`console UI built into ${outDir}`);
}
