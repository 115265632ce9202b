// Turns release/kubernetes-manifests-local.yaml into what `podman kube play` 4.3 can run
// beside other work on the same machine, and lists what playing it creates (so that exactly
// that is removed afterwards). Two changes, each a gap of kube play 4.3, not of the overlay:
//
// - Secrets are taken out of the played file and returned as podman secrets to create first,
//   as JSON ({"key": "<base64>"}): kube play 4.3 stores a Secret of the file as YAML but
//   reads a secretKeyRef only from JSON, so an env var from a Secret of the same file fails
//   ("secret ... is not valid JSON"). Podman 4.4 and later read both.
// - hostPort and hostIP are dropped unless `publish` is set: the overlay publishes every
//   service on 127.0.0.1 at its usual port, which would collide with a stack already running
//   there (npm start); the smoke test reaches the pods on their network instead.
//
// As a command, for people on podman 4.3 (README, "Running on Kubernetes"): writes
// <dir>/kube-play.yaml and <dir>/secrets/<name>.json from the release file and prints the
// podman commands that play them, with the services published on 127.0.0.1 as the overlay
// asks, unless --no-publish:
//   node deploy/scripts/kube-play-manifest.mjs [--no-publish] <dir>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * @param {string} text the rendered local overlay (several YAML documents)
 * @param {{ publish?: boolean }} [options]
 */
export function createKubePlayManifest(text, { publish = false } = {}) {
  const played = [];
  const secrets = [];
  const pods = [];
  const volumes = new Set();
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      throw new Error(`the manifest is not valid YAML: ${document.errors[0].message}`);
    }
    const object = document.toJS();
    if (object === null || object === undefined) continue;
    const name = object.metadata?.name;
    if (object.kind === 'Secret') {
      secrets.push({ name, json: JSON.stringify(secretData(object)) });
      continue;
    }
    if (object.kind === 'PersistentVolumeClaim') volumes.add(name);
    const podSpec =
      object.kind === 'Deployment'
        ? object.spec?.template?.spec
        : object.kind === 'Pod'
          ? object.spec
          : undefined;
    if (podSpec) {
      // kube play 4.3 names the one pod of a Deployment <name>-pod-0 (the overlay's addresses rely on it).
      const pod = object.kind === 'Deployment' ? `${name}-pod-0` : name;
      pods.push({ name: pod, containers: (podSpec.containers ?? []).map((c) => c.name) });
      // kube play 4.3 makes an emptyDir a named volume called after it, shared by every pod
      // that has one of that name, and leaves it behind.
      for (const volume of podSpec.volumes ?? []) if (volume.emptyDir) volumes.add(volume.name);
      if (!publish) {
        for (const container of podSpec.containers ?? []) {
          for (const port of container.ports ?? []) {
            delete port.hostPort;
            delete port.hostIP;
          }
        }
      }
    }
    played.push(object);
  }
  if (pods.length === 0) throw new Error('the manifest has no Deployment or Pod to play');
  return {
    yaml: played.map((object) => stringify(object)).join('---\n'),
    secrets,
    pods,
    volumes: [...volumes],
  };
}

/** A Secret's values as podman 4.3's kube play reads them: key → base64 of the bytes. */
function secretData(secret) {
  const data = { ...(secret.data ?? {}) };
  for (const [key, value] of Object.entries(secret.stringData ?? {})) {
    data[key] = Buffer.from(String(value)).toString('base64');
  }
  return data;
}

function main(argv) {
  const publish = !argv.includes('--no-publish');
  const rest = argv.filter((arg) => arg !== '--no-publish');
  if (rest.length !== 1 || rest[0].startsWith('-')) {
    console.error('usage: node deploy/scripts/kube-play-manifest.mjs [--no-publish] <dir>');
    process.exit(2);
  }
  const dir = resolve(rest[0]);
  const release = new URL('../../release/kubernetes-manifests-local.yaml', import.meta.url);
  const plan = createKubePlayManifest(readFileSync(release, 'utf8'), { publish });
  mkdirSync(join(dir, 'secrets'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'kube-play.yaml'), plan.yaml);
  const commands = [];
  for (const secret of plan.secrets) {
    const file = join(dir, 'secrets', `${secret.name}.json`);
    writeFileSync(file, secret.json, { mode: 0o600 });
    commands.push(`podman secret create ${secret.name} ${file}`);
  }
  commands.push(
    'podman network create switchboard',
    `podman kube play --network switchboard ${join(dir, 'kube-play.yaml')}`,
  );
  console.log(commands.join('\n'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
