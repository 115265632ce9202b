// Renders a kustomize overlay of deploy/kubernetes with the kustomize binary
// (`go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1`; .ci/run installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const OVERLAYS = ['local', 'production'];
export const KUSTOMIZE_VERSION = 'v5.7.1';

/** kustomize on PATH, else where `go install` puts it. */
export function findKustomize() {
  if (spawnSync('kustomize', ['version'], { encoding: 'utf8' }).status === 0) return 'kustomize';
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).stdout?.trim();
  const installed = gopath ? join(gopath, 'bin', 'kustomize') : undefined;
  if (installed && existsSync(installed)) return installed;
  throw new Error(
    `kustomize not found; install it with: go install sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`,
  );
}

/** The overlay's objects as one multi-document YAML text. */
export function renderOverlay(overlay) {
  return execFileSync(
    findKustomize(),
    ['build', join(root, 'deploy/kubernetes/overlays', overlay)],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}
