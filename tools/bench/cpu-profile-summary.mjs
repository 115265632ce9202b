// Reads V8 .cpuprofile files (from `node --cpu-prof`) and prints where the
// busy time went: the functions and the packages with the most self time.
// Idle samples are left out, so the shares are of the time the process worked.
//
//   NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- --only consumer
//   node tools/bench/cpu-profile-summary.mjs /tmp/prof/CPU.*.cpuprofile
//
// Every process the bench starts writes its own file when it exits; the
// header of each summary names the service bundle the profile came from.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const TOP = 15;

function summarize(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByNode = new Map();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    if (nodes.get(id).callFrame.functionName === '(idle)') {
      idle += micros;
      return;
    }
    busy += micros;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + micros);
  });

  const byFunction = new Map();
  const byPackage = new Map();
  let app = '';
  for (const node of profile.nodes) {
    const match = node.callFrame.url.match(/([a-z]+-service)[^/]*\/main\.cjs$/);
    if (match) app = match[1];
  }
  for (const [id, micros] of selfByNode) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const where = url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
    const fn = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    byPackage.set(
      packageOf(url, functionName),
      (byPackage.get(packageOf(url, functionName)) ?? 0) + micros,
    );
  }

  const seconds = (micros) => (micros / 1e6).toFixed(1);
  console.log(
    `\n${basename(file)}${app ? ` (${app})` : ''}: ${seconds(busy)} s busy, ${seconds(idle)} s idle`,
  );
  print('self time by function', byFunction, busy);
  print('self time by package', byPackage, busy);
}

/** node_modules package, node: builtin, the bundle, or V8's own bucket (GC, program). */
function packageOf(url, functionName) {
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node core';
  if (url.endsWith('.cjs') || url.endsWith('.js')) return 'workspace code';
  return functionName || '(native)';
}

function print(title, totals, busy) {
  console.log(`  ${title}:`);
  for (const [name, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`    ${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${name}`);
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node tools/bench/cpu-profile-summary.mjs FILE.cpuprofile...');
  process.exit(2);
}
for (const file of files) summarize(file);
