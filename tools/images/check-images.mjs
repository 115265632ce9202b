// Checks the images `npm run images` built; run by .ci/run after it (exit code 1 on a failure).
// For every image: it runs as uid 1000, holds no source (no src/, no .ts) and no dev
// dependency, carries the reflection .proto files and the OCI labels. For one gRPC service
// (inventory-service by default), as Kubernetes runs it (read-only root, /tmp a tmpfs, the
// image's own user) against a PostgreSQL server and a Kafka broker on this host: grpc health
// says SERVING, reflection lists the service, and SIGTERM stops it within the grace period.
// PostgreSQL and Kafka are started here, on ports of this check's own, unless
// IMAGES_CHECK_DATABASE_URL and IMAGES_CHECK_KAFKA_BROKERS name running ones.
// Usage: node tools/images/check-images.mjs [app ...]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { containerEngine } from './build-images.mjs';
import { imageApps, workspaceRoot } from './build-bundles.mjs';

const PG_PORT = Number(process.env.IMAGES_CHECK_PG_PORT ?? 35482);
const KAFKA_PORT = Number(process.env.IMAGES_CHECK_KAFKA_PORT ?? 39142);
const GRPC_PORT = Number(process.env.IMAGES_CHECK_GRPC_PORT ?? 35452);
const RUN_APP = 'inventory-service';

const failures = [];
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

const engine = containerEngine();
const rootPkg = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));
const devDeps = Object.keys(rootPkg.devDependencies ?? {});

// Runs inside each image, as the image's user: reports what the checks need.
const inspectScript = `
const fs = require('fs'), path = require('path');
const files = [];
(function walk(dir) { for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
  const p = path.join(dir, e.name); if (e.isDirectory()) walk(p); else files.push(p); } })('/app');
const nm = fs.existsSync('/app/node_modules') ? fs.readdirSync('/app/node_modules').flatMap((n) =>
  n.startsWith('@') ? fs.readdirSync('/app/node_modules/' + n).map((m) => n + '/' + m) : [n]) : [];
let writable = true; try { fs.writeFileSync('/app/x', ''); } catch { writable = false; }
console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), files, packages: nm, writable }));`;

const apps = process.argv.slice(2).length ? process.argv.slice(2) : await imageApps();
for (const app of apps) {
  const image = `switchboard/${app}:dev`;
  const report = JSON.parse(
    execFileSync(
      engine,
      ['run', '--rm', '--network', 'none', '--entrypoint', 'node', image, '-e', inspectScript],
      { encoding: 'utf8' },
    ),
  );
  check(
    report.uid === 1000 && report.gid === 1000,
    `${image}: runs as 1000:1000 (got ${report.uid}:${report.gid})`,
  );
  check(!report.writable, `${image}: /app is not writable by the app's user`);
  const source = report.files.filter((f) => /\/src\//.test(f) || /\.(ts|tsx|mts|cts)$/.test(f));
  check(source.length === 0, `${image}: no source (${source.slice(0, 3).join(', ') || 'none'})`);
  const dev = report.packages.filter((p) => devDeps.includes(p));
  check(dev.length === 0, `${image}: no dev dependency (${dev.join(', ') || 'none'})`);
  check(
    report.files.includes('/app/main.cjs') && report.files.includes('/app/main.cjs.map'),
    `${image}: bundle and source map`,
  );
  check(
    report.files.includes('/app/proto/grpc/reflection/v1/reflection.proto'),
    `${image}: reflection .proto files`,
  );
  const labels = JSON.parse(
    execFileSync(engine, ['image', 'inspect', '--format', '{{json .Config.Labels}}', image], {
      encoding: 'utf8',
    }),
  );
  // source is empty in a clone without an origin remote; the others always have a value.
  for (const key of ['title', 'version', 'revision', 'licenses', 'source']) {
    const label = `org.opencontainers.image.${key}`;
    check(
      label in labels && (key === 'source' || labels[label] !== ''),
      `${image}: label ${label}=${labels[label]}`,
    );
  }
  check(
    labels['org.opencontainers.image.version'] === rootPkg.version,
    `${image}: version label ${rootPkg.version}`,
  );
}

// --- One service started from its image against real PostgreSQL and Kafka.
const started = [];
function startLocal(script, args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(workspaceRoot, script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let out = '';
    // "[local-kafka] ready: ..." once it answers (not "jars ready", printed before it starts).
    const onData = (d) => {
      out += d;
      if (/\] ready: /.test(out)) resolvePromise(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${script} exited ${code}:\n${out.slice(-2000)}`)));
  });
}
const grpcurl = [join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin/grpcurl'), 'grpcurl'].find(
  (g) => g === 'grpcurl' || existsSync(g),
);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let containerId;
try {
  let databaseUrl = process.env.IMAGES_CHECK_DATABASE_URL;
  let brokers = process.env.IMAGES_CHECK_KAFKA_BROKERS;
  if (!databaseUrl) {
    rmSync('/tmp/switchboard-images-check-pg', { recursive: true, force: true });
    await startLocal(
      'tools/postgres/local-postgres.mjs',
      ['--data-dir', '/tmp/switchboard-images-check-pg', '--port', String(PG_PORT)],
      {},
    );
    databaseUrl = `postgres://postgres:postgres@127.0.0.1:${PG_PORT}/postgres`;
  }
  if (!brokers) {
    brokers = `127.0.0.1:${KAFKA_PORT}`;
    rmSync('/tmp/switchboard-images-check-kafka', { recursive: true, force: true });
    await startLocal(
      'tools/kafka/local-kafka.mjs',
      ['--data-dir', '/tmp/switchboard-images-check-kafka'],
      { KAFKA_BROKERS: brokers },
    );
  }
  const image = `switchboard/${RUN_APP}:dev`;
  containerId = execFileSync(
    engine,
    [
      'run',
      '-d',
      '--network',
      'host',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '-e',
      'SWITCHBOARD_ENV=development',
      '-e',
      'GRPC_PLAINTEXT=true',
      '-e',
      'SHUTDOWN_GRACE_MS=5000',
      '-e',
      `DATABASE_URL=${databaseUrl}`,
      '-e',
      `KAFKA_BROKERS=${brokers}`,
      '-e',
      'INVENTORY_HOST=127.0.0.1',
      '-e',
      `INVENTORY_PORT=${GRPC_PORT}`,
      '-e',
      `INVENTORY_METRICS_PORT=${GRPC_PORT + 10}`,
      '-e',
      `AUTH_ADDR=127.0.0.1:${GRPC_PORT - 1}`,
      image,
    ],
    { encoding: 'utf8' },
  ).trim();
  let health = '';
  // "NOT_SERVING" contains SERVING: wait for the status itself, quoted as grpcurl prints it.
  for (let i = 0; i < 60 && !/"SERVING"/.test(health); i++) {
    await sleep(1000);
    health =
      spawnSync(grpcurl, ['-plaintext', `127.0.0.1:${GRPC_PORT}`, 'grpc.health.v1.Health/Check'], {
        encoding: 'utf8',
      }).stdout ?? '';
  }
  check(/"SERVING"/.test(health), `${image}: grpc health SERVING (read-only root, tmpfs /tmp)`);
  const list =
    spawnSync(grpcurl, ['-plaintext', `127.0.0.1:${GRPC_PORT}`, 'list'], { encoding: 'utf8' })
      .stdout ?? '';
  check(
    list.includes('switchboard.inventory.v1.InventoryService') &&
      list.includes('grpc.reflection.v1.ServerReflection'),
    `${image}: reflection lists its services`,
  );
  const describe =
    spawnSync(
      grpcurl,
      [
        '-plaintext',
        `127.0.0.1:${GRPC_PORT}`,
        'describe',
        'switchboard.inventory.v1.InventoryService',
      ],
      { encoding: 'utf8' },
    ).stdout ?? '';
  check(/rpc \w+/.test(describe), `${image}: reflection describes its methods`);
  const t0 = Date.now();
  execFileSync(engine, ['stop', '-t', '20', containerId], { stdio: 'ignore' });
  const exitCode = execFileSync(
    engine,
    ['inspect', '--format', '{{.State.ExitCode}}', containerId],
    { encoding: 'utf8' },
  ).trim();
  check(
    exitCode === '0' && Date.now() - t0 < 15_000,
    `${image}: SIGTERM stops it cleanly (exit ${exitCode} in ${Date.now() - t0} ms)`,
  );
  if (exitCode !== '0' || failures.length)
    console.log(execFileSync(engine, ['logs', containerId], { encoding: 'utf8' }).slice(-3000));
} catch (error) {
  check(false, `running ${RUN_APP}: ${error.message}`);
} finally {
  if (containerId) spawnSync(engine, ['rm', '-f', containerId], { stdio: 'ignore' });
  for (const child of started) child.kill('SIGTERM');
}
console.log(
  failures.length ? `\n${failures.length} image check(s) failed` : '\nall image checks passed',
);
process.exitCode = failures.length ? 1 : 0;
