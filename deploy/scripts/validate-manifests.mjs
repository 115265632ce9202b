// Validates the rendered overlays offline, object by object:
//
// 1. Kubernetes' own kinds against the Kubernetes API schemas (the npm package
//    kubernetes-models: types, required fields, enums and formats; it does
//    not refuse unknown fields, which the API server's strict field
//    validation would).
// 2. The operators' kinds (Strimzi, CloudNativePG) against the
//    openAPIV3Schema of their CRDs (fetch-crds.mjs), with unknown fields
//    refused, as `kubectl apply`'s strict field validation refuses them.
// 3. References inside the render: every ConfigMap, Secret, key, claim,
//    Service selector and scale target names something that exists, or a
//    Secret the overlay declares as made outside it (EXTERNAL_SECRETS).
// 4. This project's rules for its own pods: restricted security context,
//    probes, resources, a termination grace that covers SHUTDOWN_GRACE_MS.
// 5. The local overlay holds only kinds `podman kube play` 4.3 acts on.
//
// Usage: node deploy/scripts/validate-manifests.mjs [--json] [--overlay NAME --file rendered.yaml]
// Without --file it renders and checks every overlay. Exit code 1 on any problem.
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ensureCrds } from './fetch-crds.mjs';
import { OVERLAYS, renderOverlay } from './render-overlay.mjs';

/**
 * Secrets an overlay uses but does not contain, with the keys it reads. The
 * README's "Running on Kubernetes" tells how to make switchboard-secrets.
 */
export const EXTERNAL_SECRETS = {
  local: {},
  production: {
    'switchboard-secrets': [
      'admin-password',
      'auth-key-encryption-key',
      'inventory-service-secret',
      'order-service-secret',
      'post-service-secret',
      'notification-service-secret',
      'reporting-service-secret',
      'subscription-service-secret',
      'subscription-secret-key',
      'queue-url',
    ],
    // Made by CloudNativePG for the Cluster's application user.
    'switchboard-db-app': ['username', 'password', 'uri'],
  },
};

/** What podman kube play 4.3 creates something from; Services it reads and ignores. */
const KUBE_PLAY_KINDS = new Set([
  'Pod',
  'Deployment',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'Service',
]);

export function parseManifests(text) {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
      return doc.toJS();
    })
    .filter((obj) => obj !== null && obj !== undefined);
}

const idOf = (obj) => `${obj?.kind ?? '?'}/${obj?.metadata?.name ?? '?'}`;

// --- 1. Kubernetes kinds -----------------------------------------------------

async function validateCore(obj) {
  if (obj.kind === 'Secret' && obj.data !== undefined) {
    // kustomize folds long base64 values over lines; the API server's decoder
    // skips line breaks, the schema's "byte" pattern does not.
    obj = { ...obj, data: mapValues(obj.data, (v) => String(v).replace(/\s+/g, '')) };
  }
  const modulePath = `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
  let Model;
  try {
    ({ [obj.kind]: Model } = await import(modulePath));
  } catch {
    return undefined; // not a Kubernetes kind: maybe an operator's
  }
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [`${idOf(obj)}: ${err.message.split('\n')[0]}`];
  }
}

// --- 2. Operator kinds, against their CRDs ----------------------------------

/**
 * Refuses fields a schema does not name, as the API server's strict field
 * validation does; where a schema keeps unknown fields, or gives no
 * properties, anything goes, as there.
 */
function strict(schema) {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'properties' ? mapValues(value, strict) : strict(value);
  }
  if (
    schema.type === 'object' &&
    schema.properties !== undefined &&
    schema.additionalProperties === undefined &&
    schema['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

const mapValues = (o, f) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

export function loadCrdValidators(files = ensureCrds()) {
  // Kubernetes' own keywords (x-kubernetes-*) are not JSON Schema: ignored, not errors.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map();
  for (const file of files) {
    for (const crd of parseManifests(readFileSync(file, 'utf8'))) {
      const { group, names, versions } = crd.spec;
      for (const version of versions) {
        const schema = version.schema.openAPIV3Schema;
        // metadata is the API server's: the CRD says only that it is an object.
        const body = strict({
          ...schema,
          properties: { ...schema.properties, metadata: { type: 'object' } },
        });
        validators.set(`${group}/${version.name}/${names.kind}`, ajv.compile(body));
      }
    }
  }
  return validators;
}

function validateCustom(obj, validators) {
  const validate = validators.get(`${obj.apiVersion}/${obj.kind}`);
  if (validate === undefined) return undefined;
  if (validate(obj)) return [];
  return validate.errors.map((e) => {
    const extra = e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : '';
    return `${idOf(obj)}: ${e.instancePath || '/'} ${e.message}${extra}`;
  });
}

// --- 3. References ------------------------------------------------------------

function podSpecOf(obj) {
  if (obj.kind === 'Pod') return obj.spec;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(obj.kind))
    return obj.spec?.template?.spec;
  return undefined;
}

function checkReferences(objects, external) {
  const problems = [];
  const byKind = (kind) =>
    new Map(objects.filter((o) => o.kind === kind).map((o) => [o.metadata.name, o]));
  const configMaps = byKind('ConfigMap');
  const secrets = byKind('Secret');
  const claims = byKind('PersistentVolumeClaim');
  const keysOf = (obj) =>
    new Set([...Object.keys(obj.data ?? {}), ...Object.keys(obj.stringData ?? {})]);

  const checkSecret = (id, name, key) => {
    const secret = secrets.get(name);
    if (secret !== undefined) {
      if (key !== undefined && !keysOf(secret).has(key))
        problems.push(`${id}: Secret ${name} has no key ${key}`);
    } else if (external[name] !== undefined) {
      if (key !== undefined && !external[name].includes(key)) {
        problems.push(`${id}: external Secret ${name} is not declared to hold ${key}`);
      }
    } else {
      problems.push(`${id}: Secret ${name} is neither in the render nor declared external`);
    }
  };
  const checkConfigMap = (id, name, key) => {
    const map = configMaps.get(name);
    if (map === undefined) problems.push(`${id}: ConfigMap ${name} is not in the render`);
    else if (key !== undefined && !keysOf(map).has(key))
      problems.push(`${id}: ConfigMap ${name} has no key ${key}`);
  };

  const templates = [];
  for (const obj of objects) {
    const spec = podSpecOf(obj);
    if (spec === undefined) continue;
    const id = idOf(obj);
    templates.push({
      obj,
      labels: obj.kind === 'Pod' ? obj.metadata.labels : obj.spec.template.metadata?.labels,
    });
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) checkConfigMap(id, from.configMapRef.name);
        if (from.secretRef) checkSecret(id, from.secretRef.name);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom;
        if (ref?.secretKeyRef) checkSecret(id, ref.secretKeyRef.name, ref.secretKeyRef.key);
        if (ref?.configMapKeyRef)
          checkConfigMap(id, ref.configMapKeyRef.name, ref.configMapKeyRef.key);
      }
      const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name))
          problems.push(`${id}: container ${c.name} mounts undeclared volume ${m.name}`);
      }
    }
    for (const v of spec.volumes ?? []) {
      if (v.persistentVolumeClaim && !claims.has(v.persistentVolumeClaim.claimName)) {
        problems.push(
          `${id}: PersistentVolumeClaim ${v.persistentVolumeClaim.claimName} is not in the render`,
        );
      }
      if (v.secret) checkSecret(id, v.secret.secretName);
      if (v.configMap) checkConfigMap(id, v.configMap.name);
    }
  }

  const matches = (selector, labels) =>
    Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
  for (const obj of objects) {
    const id = idOf(obj);
    if (obj.kind === 'Service' && obj.spec?.selector) {
      const target = templates.find((t) => matches(obj.spec.selector, t.labels));
      if (target === undefined) problems.push(`${id}: selects no pod of the render`);
      for (const port of obj.spec.ports ?? []) {
        if (typeof port.targetPort !== 'string' || target === undefined) continue;
        const named = podSpecOf(target.obj).containers.some((c) =>
          (c.ports ?? []).some((p) => p.name === port.targetPort),
        );
        if (!named)
          problems.push(
            `${id}: targetPort ${port.targetPort} is no container port of ${idOf(target.obj)}`,
          );
      }
    }
    if (
      obj.kind === 'PodDisruptionBudget' &&
      !templates.some((t) => matches(obj.spec.selector?.matchLabels, t.labels))
    ) {
      problems.push(`${id}: selects no pod of the render`);
    }
    if (obj.kind === 'HorizontalPodAutoscaler') {
      const ref = obj.spec.scaleTargetRef;
      if (!objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name)) {
        problems.push(`${id}: scale target ${ref.kind}/${ref.name} is not in the render`);
      }
    }
  }
  return problems;
}

// --- 4. This project's rules for its own pods ---------------------------------

function checkServicePods(objects) {
  const problems = [];
  const config = objects.find(
    (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('switchboard-config'),
  );
  const graceMs = Number(config?.data?.SHUTDOWN_GRACE_MS ?? 10_000);
  const ours = objects.filter(
    (o) =>
      o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/part-of'] === 'switchboard',
  );
  for (const obj of ours) {
    const id = idOf(obj);
    const spec = obj.spec.template.spec;
    const pod = spec.securityContext ?? {};
    if (pod.runAsNonRoot !== true) problems.push(`${id}: pod must set runAsNonRoot: true`);
    if (pod.seccompProfile?.type !== 'RuntimeDefault')
      problems.push(`${id}: pod must use seccomp RuntimeDefault`);
    for (const c of spec.containers) {
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false)
        problems.push(`${id}: ${c.name} must set allowPrivilegeEscalation: false`);
      if (sc.readOnlyRootFilesystem !== true)
        problems.push(`${id}: ${c.name} must set readOnlyRootFilesystem: true`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${id}: ${c.name} must drop ALL capabilities`);
      if (
        !c.resources?.requests?.cpu ||
        !c.resources?.requests?.memory ||
        !c.resources?.limits?.memory
      ) {
        problems.push(`${id}: ${c.name} needs cpu and memory requests and a memory limit`);
      }
      if (!c.readinessProbe) problems.push(`${id}: ${c.name} has no readiness probe`);
      const grpcPort = (c.ports ?? []).find((p) => p.name === 'grpc');
      if (grpcPort !== undefined) {
        for (const probe of ['readinessProbe', 'livenessProbe']) {
          if (c[probe]?.grpc?.port !== grpcPort.containerPort) {
            problems.push(
              `${id}: ${c.name} needs a gRPC ${probe} on port ${grpcPort.containerPort}`,
            );
          }
        }
        // "" follows the database and Kafka; a liveness probe on it would restart every
        // replica during a dependency's outage (libs/rpc LIVENESS_SERVICE).
        if (c.livenessProbe?.grpc !== undefined && c.livenessProbe.grpc.service !== 'liveness') {
          problems.push(`${id}: ${c.name}'s gRPC livenessProbe must ask for service "liveness"`);
        }
      }
      const preStopMs = (c.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
      const terminationMs = (spec.terminationGracePeriodSeconds ?? 30) * 1000;
      if (terminationMs < preStopMs + graceMs + 5_000) {
        problems.push(
          `${id}: terminationGracePeriodSeconds ${terminationMs / 1000} leaves no margin over preStop ` +
            `${preStopMs / 1000} s + SHUTDOWN_GRACE_MS ${graceMs}`,
        );
      }
    }
  }
  return problems;
}

// --- The whole check ------------------------------------------------------------

export async function validateManifests(overlay, objects, validators = loadCrdValidators()) {
  const problems = [];
  for (const obj of objects) {
    if (
      typeof obj?.apiVersion !== 'string' ||
      typeof obj?.kind !== 'string' ||
      !obj.metadata?.name
    ) {
      problems.push(`${idOf(obj)}: needs apiVersion, kind and metadata.name`);
      continue;
    }
    const found = (await validateCore(obj)) ?? validateCustom(obj, validators);
    if (found === undefined)
      problems.push(`${idOf(obj)}: no schema for ${obj.apiVersion} ${obj.kind}`);
    else problems.push(...found);
    if (overlay === 'local' && !KUBE_PLAY_KINDS.has(obj.kind)) {
      problems.push(`${idOf(obj)}: podman kube play 4.3 does not run a ${obj.kind}`);
    }
  }
  problems.push(...checkReferences(objects, EXTERNAL_SECRETS[overlay] ?? {}));
  problems.push(...checkServicePods(objects));
  return problems;
}

async function main(argv) {
  const json = argv.includes('--json');
  const at = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const file = at('--file');
  const validators = loadCrdValidators();
  const targets = file
    ? [{ overlay: at('--overlay') ?? 'production', text: readFileSync(file, 'utf8') }]
    : OVERLAYS.map((overlay) => ({ overlay, text: renderOverlay(overlay) }));
  const results = [];
  for (const { overlay, text } of targets) {
    const objects = parseManifests(text);
    const kinds = [...new Set(objects.map((o) => o.kind))].sort();
    results.push({
      overlay,
      objects: objects.length,
      kinds,
      problems: await validateManifests(overlay, objects, validators),
    });
  }
  if (json) console.log(JSON.stringify(results, null, 2));
  else {
    for (const r of results) {
      console.log(`${r.overlay}: ${r.objects} objects, ${r.problems.length} problems`);
      for (const p of r.problems) console.log(`  ${p}`);
    }
  }
  return results.some((r) => r.problems.length > 0) ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
