// Builds each app into a self-contained directory, dist/images/<app>/, for its container
// image: one esbuild bundle of the app with its npm packages inlined (main.cjs + source map),
// the few files that cannot be inlined, and the node_modules of the packages that must stay
// packages. The image copies that directory and nothing else, so it holds no source and no
// dev dependencies. Usage: node tools/images/build-bundles.mjs [app ...] (default: all).
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every app that gets an image: the directories of apps/ with a src/main.ts. */
export async function imageApps() {
  const names = await readdir(join(workspaceRoot, 'apps'));
  return names
    .filter((name) => existsSync(join(workspaceRoot, 'apps', name, 'src/main.ts')))
    .sort();
}

// Packages loaded from node_modules at run time instead of being inlined:
// - pg: the OpenTelemetry pg instrumentation patches it as `require('pg')` loads it
//   (require-in-the-middle); inlined, it would never be loaded that way and queries
//   would have no spans.
// - @node-rs/argon2: a native addon (.node) in a per-platform package.
const RUNTIME_PACKAGES = ['pg', '@node-rs/argon2'];
// Optional requires that are never taken here: pg's native binding (only with
// NODE_PG_FORCE_NATIVE / pg.native) and pg's Cloudflare Workers socket.
const NEVER_LOADED = ['pg-native', 'pg-cloudflare', 'cloudflare:sockets'];

// @grpc/reflection reads its own .proto files from `path.join(__dirname, '../../proto/...')`.
// Inlined, __dirname is the bundle's directory, so point those reads at `proto/` next to the
// bundle, where build() copies the files.
const reflectionProtoPlugin = {
  name: 'grpc-reflection-proto',
  setup(b) {
    b.onLoad({ filter: /@grpc[\\/]reflection[\\/]build[\\/]src[\\/].*\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replaceAll("'../../proto/", "'proto/"), loader: 'js' };
    });
  },
};

/** The package and, through its dependencies and installed optional dependencies, all it loads. */
async function packageClosure(name, from, seen = new Map()) {
  // Nested node_modules first, then the root's, as Node resolves them.
  const candidates = [join(from, 'node_modules', name), join(workspaceRoot, 'node_modules', name)];
  const dir = candidates.find((candidate) => existsSync(join(candidate, 'package.json')));
  if (!dir) return seen; // an optional dependency for another platform
  if (seen.has(dir)) return seen;
  seen.set(dir, name);
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
  for (const dep of Object.keys(deps)) {
    if (NEVER_LOADED.includes(dep)) continue;
    await packageClosure(dep, dir, seen);
  }
  return seen;
}

export async function buildAppBundle(app) {
  const out = join(workspaceRoot, 'dist/images', app);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const result = await build({
    entryPoints: [join(workspaceRoot, 'apps', app, 'src/main.ts')],
    outfile: join(out, 'main.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: [...RUNTIME_PACKAGES, ...NEVER_LOADED],
    plugins: [reflectionProtoPlugin],
    // Shipped with the bundle: node --enable-source-maps turns stack traces into TypeScript lines.
    sourcemap: 'linked',
    // Names stay readable in stack traces and logs (class names are used in error messages).
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'none',
    tsconfig: join(workspaceRoot, 'tsconfig.base.json'),
    // Some packages are ES modules that call createRequire(import.meta.url); in a CommonJS
    // bundle import.meta is empty, so give them the bundle's own URL.
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'process.env.NODE_ENV': '"production"', 'import.meta.url': '__bundleUrl' },
    logLevel: 'warning',
    // libs/rpc falls back to require.resolve('@grpc/reflection') only outside an image; in the
    // bundle the proto/ copied next to it is found first.
    logOverride: { 'require-resolve-not-external': 'silent' },
    metafile: true,
  });
  // The reflection protocol's own .proto files (server reflection lists itself).
  await cp(join(workspaceRoot, 'node_modules/@grpc/reflection/build/proto'), join(out, 'proto'), {
    recursive: true,
  });
  // The runtime packages, each at the path Node will look for it from main.cjs.
  // Only those this app's bundle really requires (auth-service alone hashes passwords).
  const required = new Set(
    Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.filter((imp) => imp.external).map((imp) => imp.path),
    ),
  );
  const seen = new Map();
  for (const name of RUNTIME_PACKAGES.filter((pkg) => required.has(pkg)))
    await packageClosure(name, workspaceRoot, seen);
  for (const [dir, name] of seen) {
    await cp(dir, join(out, 'node_modules', name), {
      recursive: true,
      // Types, sources and docs are not loaded at run time.
      filter: (src) => !/\.(ts|mts|cts|md|map)$/.test(src),
    });
  }
  // The console serves its browser app from ui/ beside its bundle (apps/console/src/main.ts).
  if (app === 'console') {
    const { buildConsoleUi } = await import('../../apps/console/ui/build.mjs');
    await buildConsoleUi(join(out, 'ui'));
  }
  await writeFile(
    join(out, 'package.json'),
    JSON.stringify({ name: app, private: true, type: 'commonjs' }, null, 2) + '\n',
  );
  const inputs = Object.keys(result.metafile.inputs).length;
  return { app, out, inputs, runtimePackages: [...seen.values()] };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const apps = process.argv.slice(2);
  for (const app of apps.length ? apps : await imageApps()) {
    const started = Date.now();
    const { out, inputs, runtimePackages } = await buildAppBundle(app);
    console.log(
      `${app}: ${inputs} inputs -> ${out} (+ ${runtimePackages.join(', ')}) in ${Date.now() - started} ms`,
    );
  }
}
