// `npm run images`: builds the container image of every app (or of those named) from the
// one Containerfile, with podman or docker, whichever answers, tags it switchboard/<app>:dev
// and switchboard/<app>:<package.json version>, and prints each image's size, uncompressed
// and gzip-compressed (what a registry stores and a node pulls). One image at a time: the
// machines are small. Usage: node tools/images/build-images.mjs [app ...]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { buildAppBundle, imageApps, workspaceRoot } from './build-bundles.mjs';

export const BASE_IMAGE = 'docker.io/library/node:24-bookworm-slim';
/** The goal of issue 13: each image under 120 MB compressed. */
export const MAX_COMPRESSED_BYTES = 120 * 1024 * 1024;

/** podman or docker, the first whose daemon or runtime answers. */
export function containerEngine() {
  for (const engine of ['podman', 'docker']) {
    const probe = spawnSync(engine, ['info'], { stdio: 'ignore', timeout: 20_000 });
    if (probe.status === 0) return engine;
  }
  throw new Error('neither podman nor docker answers (`podman info`, `docker info`)');
}

/** The port each app serves, for EXPOSE. */
function appPort(app) {
  const ports = {
    'auth-service': 50051,
    'inventory-service': 50052,
    'order-service': 50053,
    'post-service': 50054,
    'notification-service': 50055,
    'reporting-service': 50056,
    'subscription-service': 50057,
    'edge-gateway': 8080,
    console: 8088,
  };
  return ports[app] ?? '';
}

function git(...args) {
  const r = spawnSync('git', args, { cwd: workspaceRoot, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: workspaceRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/** Bytes of `<engine> save <image> | gzip`: every layer, the base's included, compressed. */
export function compressedSize(engine, image) {
  return new Promise((resolvePromise, reject) => {
    const save = spawn(engine, ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    const gzip = createGzip({ level: 6 });
    gzip.on('data', (chunk) => (bytes += chunk.length));
    gzip.on('end', () => resolvePromise(bytes));
    save.stdout.pipe(gzip);
    save.on('error', reject);
    save.on(
      'exit',
      (code) => code !== 0 && reject(new Error(`${engine} save ${image} exited ${code}`)),
    );
  });
}

// Sizes in MiB (note: `podman images` prints decimal MB).
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);

export async function buildImages(apps) {
  const started = Date.now();
  const engine = containerEngine();
  const { version } = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));
  // Pulled when the registry answers; a local stand-in (CI and tests only) when not.
  run(join(workspaceRoot, 'tools/images/ensure-base-image.sh'), [engine, BASE_IMAGE]);
  const revision = git('rev-parse', 'HEAD') || 'unknown';
  // The commit's time, not now: the same commit gives the same labels.
  const created = git('show', '-s', '--format=%cI', 'HEAD');
  const source = git('remote', 'get-url', 'origin');
  const dirty = git('status', '--porcelain') ? '-dirty' : '';
  const rows = [];
  for (const app of apps) {
    const t0 = Date.now();
    await buildAppBundle(app);
    const tags = [`switchboard/${app}:dev`, `switchboard/${app}:${version}`];
    run(engine, [
      'build',
      '--quiet',
      '-f',
      'Containerfile',
      '--build-arg',
      `BASE=${BASE_IMAGE}`,
      '--build-arg',
      `APP=${app}`,
      '--build-arg',
      `PORT=${appPort(app)}`,
      '--build-arg',
      `VERSION=${version}`,
      '--build-arg',
      `REVISION=${revision}${dirty}`,
      '--build-arg',
      `CREATED=${created}`,
      '--build-arg',
      `SOURCE=${source}`,
      ...tags.flatMap((tag) => ['-t', tag]),
      '.',
    ]);
    const size = Number(
      execFileSync(engine, ['image', 'inspect', '--format', '{{.Size}}', tags[0]], {
        encoding: 'utf8',
      }).trim(),
    );
    const compressed = await compressedSize(engine, tags[0]);
    rows.push({ app, size, compressed, seconds: (Date.now() - t0) / 1000 });
    console.log(
      `${tags.join(', ')}: ${mb(size)} MiB, ${mb(compressed)} MiB compressed (${rows.at(-1).seconds.toFixed(0)} s)`,
    );
  }
  console.log(`\n${'image'.padEnd(40)} ${'size'.padStart(10)} ${'gzip'.padStart(10)}`);
  for (const { app, size, compressed } of rows) {
    console.log(
      `${`switchboard/${app}:${version}`.padEnd(40)} ${`${mb(size)} MiB`.padStart(10)} ${`${mb(compressed)} MiB`.padStart(10)}`,
    );
  }
  console.log(
    `${rows.length} images with ${engine} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  const over = rows.filter((row) => row.compressed > MAX_COMPRESSED_BYTES);
  if (over.length)
    throw new Error(
      `over ${mb(MAX_COMPRESSED_BYTES)} MiB compressed: ${over.map((r) => r.app).join(', ')}`,
    );
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const named = process.argv.slice(2);
  await buildImages(named.length ? named : await imageApps());
}
