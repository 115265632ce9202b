// A small closed-loop HTTP load generator for the edge, for indicative numbers
// only (the bench uses a load tool from a registry):
//   node apps/edge-gateway/load/http-load.mjs <url> [concurrency] [seconds] [header: value]...
// GET when no BODY env is set, else POST of BODY as application/json.
// Prints calls/s and latency percentiles, and the count of non-2xx answers.
const [url, concurrency = '16', seconds = '10', ...headerArgs] = process.argv.slice(2);
if (!url) {
  console.error('usage: http-load.mjs <url> [concurrency] [seconds] [header: value]...');
  process.exit(2);
}
const headers = Object.fromEntries(
  headerArgs.map((h) => [h.slice(0, h.indexOf(':')).trim(), h.slice(h.indexOf(':') + 1).trim()]),
);
const body = process.env.BODY;
if (body !== undefined) headers['content-type'] = 'application/json';
const until = performance.now() + Number(seconds) * 1000;
const latencies = [];
let failures = 0;

async function worker() {
  while (performance.now() < until) {
    const started = performance.now();
    const res = await fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body });
    await res.arrayBuffer();
    latencies.push(performance.now() - started);
    if (res.status < 200 || res.status > 299) failures++;
  }
}

const began = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const elapsed = (performance.now() - began) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log(
  JSON.stringify({
    calls: latencies.length,
    callsPerSecond: Math.round(latencies.length / elapsed),
    p50Ms: +at(0.5).toFixed(2),
    p90Ms: +at(0.9).toFixed(2),
    p99Ms: +at(0.99).toFixed(2),
    failures,
  }),
);
