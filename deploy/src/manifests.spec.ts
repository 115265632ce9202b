// The Kubernetes manifests, checked offline: the generated pieces are
// current, every overlay renders (kustomize) and validates
// (scripts/validate-manifests.mjs: Kubernetes schemas, the operators' CRDs,
// references, this project's pod rules), and broken objects are refused.
// The validator is an ES module script (kubernetes-models is ESM-only), so
// the spec runs it as a child process, as `npm run validate:manifests` does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { allTopics, deadLetterTopicOf } from '@switchboard/contracts';
import { parseAllDocuments, stringify } from 'yaml';
import { KAFKA_TOPICS_FILE, renderKafkaTopics } from './render-kafka-topics';

const root = resolve(__dirname, '../..');
// The first run fetches the operators' CRDs (Maven, the Go module proxy) and caches them.
const SLOW = 10 * 60_000;

interface Result {
  overlay: string;
  objects: number;
  kinds: string[];
  problems: string[];
}

function node(script: string, args: string[]) {
  const run = spawnSync(process.execPath, [join(root, script), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  return run;
}

function validate(args: string[]): Result[] {
  const run = node('deploy/scripts/validate-manifests.mjs', ['--json', ...args]);
  if (!run.stdout.trim().startsWith('[')) throw new Error(`validator failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as Result[];
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function releaseObjects(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(root, file), 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

describe('Kubernetes manifests', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'switchboard-manifests-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('has a KafkaTopic for every registry topic and its dead-letter twin, as generated', () => {
    const onDisk = readFileSync(join(root, KAFKA_TOPICS_FILE), 'utf8');
    // Stale means someone changed the registry: `npm run generate:kafka-topics`.
    expect(onDisk).toBe(renderKafkaTopics(allTopics));
    for (const topic of allTopics) {
      expect(onDisk).toContain(`topicName: ${topic.name}\n  partitions: ${topic.partitions}\n`);
      expect(onDisk).toContain(`topicName: ${deadLetterTopicOf(topic.name)}\n`);
    }
  });

  it(
    'renders every overlay, and every object validates',
    () => {
      const results = validate([]);
      expect(results.map((r) => r.overlay)).toEqual(['local', 'production']);
      for (const r of results)
        expect({ overlay: r.overlay, problems: r.problems }).toEqual({
          overlay: r.overlay,
          problems: [],
        });
      const production = results.find((r) => r.overlay === 'production')!;
      expect(production.kinds).toEqual(
        expect.arrayContaining(['Kafka', 'KafkaNodePool', 'KafkaTopic', 'Cluster', 'Database']),
      );
    },
    SLOW,
  );

  it('keeps the release files current (npm run release:manifests)', () => {
    const run = node('deploy/scripts/release-manifests.mjs', ['--check']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it(
    'refuses broken objects: schema, CRD schema, references and pod rules',
    () => {
      const objects = releaseObjects('release/kubernetes-manifests.yaml');
      const find = (kind: string, name?: string) =>
        objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name))!;
      find('Deployment', 'order-service').spec.replicas = 'two';
      find('KafkaTopic', 'identity.users.v1').spec.partitons = 3;
      find('Cluster').spec.instances = 'three';
      const inventory = find('Deployment', 'inventory-service').spec.template.spec;
      inventory.containers[0].env.push({
        name: 'X',
        valueFrom: { secretKeyRef: { name: 'nowhere', key: 'x' } },
      });
      delete inventory.containers[0].securityContext.readOnlyRootFilesystem;
      const post = find('Deployment', 'post-service').spec.template.spec;
      post.terminationGracePeriodSeconds = 5;
      delete post.containers[0].livenessProbe.grpc.service;
      const file = join(tmp, 'broken.yaml');
      writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));

      const [result] = validate(['--overlay', 'production', '--file', file]);
      const problems = result!.problems.join('\n');
      expect(problems).toMatch(/Deployment\/order-service: .*replicas must be integer/);
      expect(problems).toMatch(
        /KafkaTopic\/identity\.users\.v1: \/spec must NOT have additional properties \(partitons\)/,
      );
      expect(problems).toMatch(/Cluster\/switchboard-db: \/spec\/instances must be integer/);
      expect(problems).toContain(
        'Deployment/inventory-service: Secret nowhere is neither in the render nor declared external',
      );
      expect(problems).toContain(
        'Deployment/inventory-service: inventory-service must set readOnlyRootFilesystem: true',
      );
      expect(problems).toMatch(
        /Deployment\/post-service: terminationGracePeriodSeconds 5 leaves no margin/,
      );
      expect(problems).toContain(
        `Deployment/post-service: post-service's gRPC livenessProbe must ask for service "liveness"`,
      );
      expect(result!.problems).toHaveLength(7);
    },
    SLOW,
  );

  it(
    'refuses, in the local overlay, a kind podman kube play does not run',
    () => {
      const objects = releaseObjects('release/kubernetes-manifests-local.yaml');
      objects.push({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'order-service' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'order-service' },
          maxReplicas: 3,
        },
      });
      const file = join(tmp, 'local.yaml');
      writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
      const [result] = validate(['--overlay', 'local', '--file', file]);
      expect(result!.problems).toEqual([
        'HorizontalPodAutoscaler/order-service: podman kube play 4.3 does not run a HorizontalPodAutoscaler',
      ]);
    },
    SLOW,
  );
});
