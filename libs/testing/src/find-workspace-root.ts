import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The workspace root: the first folder above `from` that holds
 * tools/scripts/bundle.mjs. Walked up to, not computed, because this code
 * also runs from a bundle under dist/.
 */
export function findWorkspaceRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tools', 'scripts', 'bundle.mjs'))) return dir;
    if (dirname(dir) === dir) throw new Error(`tools/scripts/bundle.mjs not found above ${from}`);
  }
}
