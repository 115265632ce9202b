// The CustomResourceDefinitions the production overlay's operator objects are
// validated against, taken from package registries only and cached outside
// the tree (SWITCHBOARD_CRD_CACHE, default ~/.cache/switchboard/crds):
//
// - CloudNativePG: its Go module carries config/crd/bases; `go mod download`
//   fetches exactly the pinned version.
// - Strimzi: no Maven artifact carries the CRD YAML yet, but the YAML is
//   generated from the `io.strimzi:api` model classes by Strimzi's own
//   `io.strimzi:crd-generator`, both on Maven Central. Running that generator
//   on that jar gives the schema the operator's release ships. It needs
//   Java 21+ (its class files say so); the JDK is looked for on PATH,
//   JAVA_HOME and /usr/lib/jvm.
//
// Usage: node deploy/scripts/fetch-crds.mjs  (prints the cached files)
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const STRIMZI_VERSION = '1.2.0';
export const CNPG_VERSION = 'v1.28.0';

/** The Strimzi kinds the overlays use, by model class. */
const STRIMZI_KINDS = {
  'kafka.yaml': 'io.strimzi.api.kafka.model.kafka.Kafka',
  'kafkanodepool.yaml': 'io.strimzi.api.kafka.model.nodepool.KafkaNodePool',
  'kafkatopic.yaml': 'io.strimzi.api.kafka.model.topic.KafkaTopic',
};
/** The CloudNativePG kinds the overlays use, by file in config/crd/bases. */
const CNPG_FILES = ['postgresql.cnpg.io_clusters.yaml', 'postgresql.cnpg.io_databases.yaml'];

export function crdCacheDir() {
  return process.env.SWITCHBOARD_CRD_CACHE ?? join(homedir(), '.cache', 'switchboard', 'crds');
}

/** Every CRD file, fetching what the cache lacks. */
export function ensureCrds() {
  return [...ensureCnpgCrds(), ...ensureStrimziCrds()];
}

function ensureCnpgCrds() {
  const dir = join(crdCacheDir(), `cnpg-${CNPG_VERSION}`);
  const files = CNPG_FILES.map((f) => join(dir, f));
  if (files.every((f) => existsSync(f))) return files;
  const module = `github.com/cloudnative-pg/cloudnative-pg@${CNPG_VERSION}`;
  const out = execFileSync('go', ['mod', 'download', '-json', module], {
    encoding: 'utf8',
    // Outside any module: the download is all we want, not a change to a go.mod.
    env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' },
    cwd: crdCacheDirCreated(),
  });
  const info = JSON.parse(out);
  if (!info.Dir) throw new Error(`go mod download ${module}: ${info.Error ?? out}`);
  mkdirSync(dir, { recursive: true });
  for (const f of CNPG_FILES)
    copyFileSync(join(info.Dir, 'config', 'crd', 'bases', f), join(dir, f));
  return files;
}

function ensureStrimziCrds() {
  const dir = join(crdCacheDir(), `strimzi-${STRIMZI_VERSION}`);
  const files = Object.keys(STRIMZI_KINDS).map((f) => join(dir, f));
  if (files.every((f) => existsSync(f))) return files;
  // A folder of its own: test runs in other worktrees may fetch at the same time.
  const work = mkdtempSync(join(crdCacheDirCreated(), `strimzi-${STRIMZI_VERSION}.work-`));
  writeFileSync(
    join(work, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>switchboard</groupId><artifactId>strimzi-crds</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>${STRIMZI_VERSION}</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>${STRIMZI_VERSION}</version></dependency>
  </dependencies>
</project>
`,
  );
  run('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], work);
  const out = join(work, 'out');
  mkdirSync(out);
  const pairs = Object.entries(STRIMZI_KINDS).map(([file, cls]) => `${cls}=${join(out, file)}`);
  run(
    findJava(21),
    ['-cp', join(work, 'lib', '*'), 'io.strimzi.crdgenerator.CrdGenerator', '--yaml', ...pairs],
    work,
  );
  try {
    renameSync(out, dir);
  } catch (err) {
    // Another run got there first with the same files; anything else is a real failure.
    if (!files.every((f) => existsSync(f))) throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return files;
}

function crdCacheDirCreated() {
  mkdirSync(crdCacheDir(), { recursive: true });
  return crdCacheDir();
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.slice(0, 3).join(' ')} failed:\n${result.stderr || result.stdout || result.error}`,
    );
  }
}

/** A `java` of at least `major`: Strimzi's generator is built for Java 21. */
export function findJava(major) {
  const candidates = ['java'];
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  if (existsSync('/usr/lib/jvm')) {
    for (const jdk of readdirSync('/usr/lib/jvm'))
      candidates.push(join('/usr/lib/jvm', jdk, 'bin', 'java'));
  }
  for (const java of candidates) {
    const probe = spawnSync(java, ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
    const version = /java\.specification\.version = (\d+)/.exec(probe.stderr ?? '');
    if (version && Number(version[1]) >= major) return java;
  }
  throw new Error(
    `no Java ${major} or newer found (PATH, JAVA_HOME, /usr/lib/jvm): Strimzi's CRD generator needs it`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const file of ensureCrds()) console.log(file);
}
