// Stages the third-party protos the contracts import into .proto-deps/, an
// ignored folder buf reads as a second module. They are never committed, and
// buf's registry is not needed to build:
// - google.api.http's annotations and google.rpc's standard error details come
//   from their npm package (package.json pins it);
// - buf.validate's rules come from the protovalidate Maven artifact, fetched
//   with Maven (as the broker's jars are) into a cache outside the work tree,
//   so only the first run on a machine needs the network.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const GOOGLE_FILES = [
  'google/api/annotations.proto',
  'google/api/http.proto',
  'google/rpc/error_details.proto',
  'google/rpc/status.proto',
];

// The proto the rules are written against. The runtime that checks them is the
// npm package @bufbuild/protovalidate (its own version line); both read the
// same stable extension numbers.
const PROTOVALIDATE_ARTIFACT = 'build.buf:protovalidate:1.3.0:jar';
const VALIDATE_FILE = 'buf/validate/validate.proto';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/** Stages into `target` (default: the workspace itself) from node_modules and the Maven cache. */
export function stageProtoDeps(root, target = root) {
  const require = createRequire(join(root, 'package.json'));
  const packageRoot = dirname(require.resolve('google-proto-files/package.json'));
  for (const file of GOOGLE_FILES) copyInto(target, file, join(packageRoot, file));
  copyInto(target, VALIDATE_FILE, cachedValidateProto());
}

function copyInto(target, file, from) {
  const to = join(target, '.proto-deps', file);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

/** validate.proto, unpacked from the pinned artifact once per machine. */
function cachedValidateProto() {
  const cacheRoot = resolve(
    process.env.SWITCHBOARD_CACHE || join(homedir(), '.cache', 'switchboard'),
  );
  const dir = join(cacheRoot, PROTOVALIDATE_ARTIFACT.replaceAll(':', '-'));
  const file = join(dir, VALIDATE_FILE);
  if (existsSync(file)) return file;
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).error) {
    throw new Error(
      `${VALIDATE_FILE} is not cached yet (${dir}) and Maven is not on PATH: ` +
        'install it (e.g. apt-get install maven), then run `npm run generate` again',
    );
  }
  // Unpacked into a private folder, then renamed, so an interrupted or
  // concurrent run never leaves a half file that looks cached.
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const scratch = mkdtempSync(join(tmpdir(), 'switchboard-protovalidate-'));
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      `-Dmaven.repo.local=${join(cacheRoot, 'm2')}`,
      `${DEPENDENCY_PLUGIN}:unpack`,
      `-Dartifact=${PROTOVALIDATE_ARTIFACT}`,
      `-Dmdep.unpack.includes=${VALIDATE_FILE}`,
      `-DoutputDirectory=${partial}`,
    ],
    // Maven leaves marker files where it runs; keep them out of the work tree.
    { encoding: 'utf8', cwd: scratch },
  );
  rmSync(scratch, { recursive: true, force: true });
  if (result.status !== 0 || !existsSync(join(partial, VALIDATE_FILE))) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(
      `could not fetch ${PROTOVALIDATE_ARTIFACT} with Maven (exit ${result.status}):\n` +
        `${result.stdout}${result.stderr}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  stageProtoDeps(resolve(dirname(fileURLToPath(import.meta.url)), '../..'));
}
