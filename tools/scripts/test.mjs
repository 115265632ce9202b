// `npm test`: the whole check a change must pass, in the order that fails
// fastest. It installs what is missing, starts ONE Kafka broker and ONE
// PostgreSQL server for every integration test (or reuses KAFKA_BROKERS and
// TEST_DATABASE_URL), then runs:
//   contracts (buf lint, buf breaking, generated code current) → formatting →
//   typecheck → lint → unit + integration tests → end-to-end smoke test.
// It ends with a plain `tests: N passed, N failed` line.
import './require-node.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureWorkspace, run } from './ensure-workspace.mjs';
import { stageProtoDeps } from './stage-proto-deps.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
ensureWorkspace(root);

const args = new Set(process.argv.slice(2));
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
const step = (title) => console.log(`\n[test] ${title}`);

step('contracts: buf lint');
run(root, 'npx', ['buf', 'lint']);

step('contracts: buf breaking');
const against = breakingBaseline();
if (against) run(root, 'npx', ['buf', 'breaking', 'proto', '--against', join(against, 'proto')]);
else console.log('no baseline commit with proto/ yet; skipped');

step('contracts: generated code is current');
run(root, 'npx', ['buf', 'generate']);
const drift = spawnSync('git', ['status', '--porcelain', '--', 'libs/contracts/src/gen'], {
  cwd: root,
})
  .stdout.toString()
  .trim();
if (drift) {
  console.error(
    `generated code differs from proto/ (run \`npm run generate\` and commit):\n${drift}`,
  );
  process.exit(1);
}

step('formatting (prettier --check)');
run(root, 'npx', ['prettier', '--check', '--log-level', 'warn', '.']);

step('typecheck');
run(root, 'npx', ['tsc', '-p', 'tsconfig.json']);

step('lint');
run(root, 'npx', ['nx', 'run-many', '-t', 'lint', '--outputStyle=static'], env);

const broker = await startBroker();
const database = await startDatabase().catch(async (err) => {
  await broker.stop();
  throw err;
});
const totals = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;
try {
  try {
    step(
      `unit and integration tests (Kafka at ${broker.brokers}, PostgreSQL at ${database.shown})`,
    );
    exitCode = await jest(['-c', 'jest.config.js'], {
      KAFKA_BROKERS: broker.brokers,
      TEST_DATABASE_URL: database.url,
    });
  } finally {
    await broker.stop();
  }
  if (!args.has('--no-e2e')) {
    step('end-to-end smoke test');
    // As a user runs it: `npm start` brings its own broker on 127.0.0.1:9092
    // and its own PostgreSQL server (tools/e2e/src/stack.ts gives it a free
    // port), both with fresh data, so the walkthroughs see only their own
    // events. Specs that start single services still use the test server. It
    // runs even after a failure above, so one run reports everything.
    const e2e = await jest(['-c', 'tools/e2e/jest.config.js', '--runInBand'], {
      KAFKA_BROKERS: undefined,
      TEST_DATABASE_URL: database.url,
    });
    exitCode ||= e2e;
  }
} finally {
  await database.stop();
}
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(exitCode || (totals.failed > 0 ? 1 : 0));

function withEnv(base, extra) {
  const merged = { ...base, ...extra };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return merged;
}

function breakingBaseline() {
  // On a branch, compare with main; on main itself, with the previous commit,
  // so a breaking change cannot land either way.
  const git = (...a) => spawnSync('git', a, { cwd: root }).stdout?.toString().trim() ?? '';
  const branch = git('rev-parse', '--abbrev-ref', 'HEAD');
  const ref = branch === 'main' ? 'HEAD~1' : 'main';
  const hasProto = spawnSync('git', ['cat-file', '-e', `${ref}:proto`], { cwd: root }).status === 0;
  if (!hasProto) return undefined;
  // The baseline's tree with its third-party protos staged, as buf needs them to build it.
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-baseline-'));
  spawnSync('sh', ['-c', `git archive ${ref} | tar -x -C '${dir}'`], { cwd: root });
  stageProtoDeps(root, dir);
  return dir;
}

async function jest(jestArgs, extraEnv) {
  const out = join(mkdtempSync(join(tmpdir(), 'switchboard-jest-')), 'results.json');
  const child = spawn('npx', ['jest', ...jestArgs, '--json', `--outputFile=${out}`], {
    cwd: root,
    stdio: 'inherit',
    env: withEnv(env, extraEnv),
  });
  const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
  try {
    const results = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += results.numPassedTests;
    totals.failed += results.numFailedTests;
    totals.skipped += results.numPendingTests + results.numTodoTests;
  } catch {
    totals.failed += 1; // jest died before writing results: count it as a failure
  }
  return code;
}

/**
 * One PostgreSQL server for the whole run: the one TEST_DATABASE_URL names
 * (a server of your own), or a fresh local one on a free port with its data
 * in a temporary folder, removed at the end.
 */
async function startDatabase() {
  const given = process.env.TEST_DATABASE_URL;
  if (given) return { url: given, shown: mask(given), stop: async () => {} };
  const { startLocalPostgres } = await import(
    pathToFileURL(join(root, 'tools/postgres/local-postgres.mjs')).href
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-postgres-'));
  const server = await startLocalPostgres({ dataDir, port: await freePort() }).catch((err) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: server.url,
    shown: mask(server.url),
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function mask(url) {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** One broker for the whole run: an existing one from KAFKA_BROKERS, or a fresh local one. */
async function startBroker() {
  if (process.env.KAFKA_BROKERS)
    return { brokers: process.env.KAFKA_BROKERS, stop: async () => {} };
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-kafka-'));
  const port = process.env.TEST_KAFKA_PORT ?? '19092';
  const brokers = `127.0.0.1:${port}`;
  const child = spawn('node', ['tools/kafka/local-kafka.mjs'], {
    cwd: root,
    env: { ...env, DATA_DIR: dataDir, KAFKA_BROKERS: brokers },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let log = '';
  await new Promise((resolveReady, reject) => {
    child.stdout.on('data', (chunk) => {
      log += chunk;
      process.stdout.write(chunk);
      if (/ready/i.test(log)) resolveReady();
    });
    child.on('exit', (code) => reject(new Error(`test broker exited early (${code})`)));
  });
  return {
    brokers,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
