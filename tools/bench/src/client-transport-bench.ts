// Client-side cost of one unary call: connect-node's gRPC transport against
// libs/rpc's grpc-js transport, calling the same trivial method on a libs/rpc
// server. The server runs in a child process so that process.cpuUsage() here
// measures the client alone. Rounds alternate A B A B so drift (thermal,
// other load, JIT) hits both sides alike; medians and min-max are reported.
//
//   node tools/scripts/run-ts.mjs tools/bench/src/client-transport-bench.ts [rounds] [calls]
import { fork, type ChildProcess } from 'node:child_process';
import type { Transport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { InventoryService } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { createGrpcJsTransport, createRpcServer, createServiceClient } from '@switchboard/rpc';
import { uniformAccess } from '@switchboard/rpc';

const SERVE_FLAG = '--serve';
const CONCURRENCY = 32;

async function serve(): Promise<void> {
  const server = createRpcServer({
    logger: createLogger({ service: 'bench-server', level: 'warn' }),
    host: '127.0.0.1',
    port: 0,
    maxReceiveBytes: 1024 * 1024,
    shutdownGraceMs: 1000,
  });
  server.addService(
    InventoryService,
    {
      async getProduct(request) {
        return { product: { sku: request.sku, name: 'Widget', availableQuantity: 7 } };
      },
    },
    { access: uniformAccess(InventoryService, 'public') },
  );
  const port = await server.start();
  process.send?.({ port });
  process.on('disconnect', () => void server.shutdown().then(() => process.exit(0)));
}

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const entry = process.argv[1];
  if (entry === undefined) throw new Error('cannot locate this script to fork it');
  const child = fork(entry, [SERVE_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: unknown) => {
      const port = (message as { port?: unknown }).port;
      if (typeof port === 'number') resolve({ child, port });
      else reject(new Error('the server did not report a port'));
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
}

interface Sample {
  cpuUsPerCall: number;
  callsPerSec: number;
}

type Call = () => Promise<unknown>;

async function measure(call: Call, calls: number, concurrency: number): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallNs = Number(process.hrtime.bigint() - started);
  const used = process.cpuUsage(cpu);
  return {
    cpuUsPerCall: (used.user + used.system) / calls,
    callsPerSec: calls / (wallNs / 1e9),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(9);

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 4);
  const calls = Number(process.argv[3] ?? 3000);
  const { child, port } = await startServer();

  const transports: Record<string, Transport & { close?: () => void }> = {
    'connect-node createGrpcTransport': createGrpcTransport({
      baseUrl: `http://127.0.0.1:${port}`,
    }),
    'libs/rpc createGrpcJsTransport': createGrpcJsTransport({ address: `127.0.0.1:${port}` }),
  };
  const callers: Record<string, Call> = {};
  for (const [name, transport] of Object.entries(transports)) {
    const client = createServiceClient(InventoryService, transport);
    callers[name] = () => client.getProduct({ sku: 'SKU-1' });
  }

  // Warm-up: connections, JIT, and one full pass of each phase per transport.
  for (const call of Object.values(callers)) {
    await measure(call, 1000, 1);
    await measure(call, 1000, CONCURRENCY);
  }

  const phases = [
    { name: `sequential x${calls}`, concurrency: 1 },
    { name: `concurrent ${CONCURRENCY} x${calls}`, concurrency: CONCURRENCY },
  ];
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, call] of Object.entries(callers)) {
      for (const phase of phases) {
        const key = `${name}|${phase.name}`;
        const sample = await measure(call, calls, phase.concurrency);
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      }
    }
  }

  console.log(
    `\nunary GetProduct over loopback, ${rounds} alternating rounds per transport, node ${process.version}\n`,
  );
  console.log(
    `${'transport'.padEnd(34)}${'phase'.padEnd(24)}${'CPU µs/call'.padStart(13)}${'min-max'.padStart(
      19,
    )}${'calls/s'.padStart(11)}${'min-max'.padStart(19)}`,
  );
  for (const [key, list] of samples) {
    const [name = '', phase = ''] = key.split('|');
    const cpu = list.map((s) => s.cpuUsPerCall);
    const rate = list.map((s) => s.callsPerSec);
    console.log(
      `${name.padEnd(34)}${phase.padEnd(24)}${fmt(median(cpu)).padStart(13)}` +
        `${`${fmt(Math.min(...cpu)).trim()}-${fmt(Math.max(...cpu)).trim()}`.padStart(19)}` +
        `${fmt(median(rate), 0).padStart(11)}` +
        `${`${fmt(Math.min(...rate), 0).trim()}-${fmt(Math.max(...rate), 0).trim()}`.padStart(19)}`,
    );
  }

  for (const transport of Object.values(transports)) transport.close?.();
  child.disconnect();
}

if (process.argv.includes(SERVE_FLAG)) {
  void serve();
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
