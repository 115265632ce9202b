// The benchmark suite: runs each measurement module in turn, prints one table
// of medians, spreads and ratios against same-run baselines, and (full run)
// writes it to docs/benchmarks.md with the method and the machine.
//
//   npm run bench                 full suite, writes docs/benchmarks.md
//   npm run bench -- --quick      the subset that runs in under 3 minutes
//   npm run bench -- --only grpc,consumer --rounds 4
import { resolve } from 'node:path';
import { findWorkspaceRoot, startLocalBroker } from '@switchboard/testing';
import { MODULE_NAMES, parseBenchArgs, type ModuleName } from './bench-args';
import type { BenchContext } from './bench-context';
import { renderDocument, writeDocument } from './bench-document';
import { startBenchPostgres, type BenchPostgres } from './bench-postgres';
import { failedSection, type SectionResult } from './bench-result';
import { measureClientTransport } from './client-transport';
import { measureConsumerThroughput } from './consumer-throughput';
import { measureEdgeOverhead } from './edge-overhead';
import { buildProtoset, ensureGhz, stopGhzRuns } from './ghz';
import { measureGrpcOverhead } from './grpc-overhead';
import { stopHttpLoadRuns } from './http-load';
import { describeMachine, machineInfo } from './machine-info';
import { measurePostNotification } from './post-notification';
import { renderGoalsText, renderText } from './render-table';
import { measureStartupFootprint } from './startup-footprint';
import { measureSubscriptionDelivery } from './subscription-delivery';
import { measureSyncPath } from './sync-path';
import { measureTelemetryCost } from './telemetry-cost';

interface BenchModule {
  readonly title: string;
  /** Part of `--quick` without `--only` (which must stay under 3 minutes on 2 cores). */
  readonly quick: boolean;
  run(ctx: BenchContext): Promise<SectionResult>;
}

const MODULES: Record<ModuleName, BenchModule> = {
  grpc: { title: 'gRPC stack overhead', quick: true, run: measureGrpcOverhead },
  transport: { title: 'Client transport', quick: true, run: measureClientTransport },
  sync: { title: 'CheckAvailability and PlaceOrder', quick: true, run: measureSyncPath },
  // A stack of five services and the gateway, three variants: past the quick budget.
  edge: { title: 'Edge gateway vs direct gRPC', quick: false, run: measureEdgeOverhead },
  telemetry: { title: 'Telemetry cost', quick: false, run: measureTelemetryCost },
  notification: { title: 'post → notification', quick: false, run: measurePostNotification },
  consumer: { title: 'Consumer throughput', quick: true, run: measureConsumerThroughput },
  // Two more brokers and four service starts per round: past the quick budget.
  'subscription-delivery': {
    title: 'Webhook deliveries',
    quick: false,
    run: (ctx) => measureSubscriptionDelivery(ctx),
  },
  startup: { title: 'Start-up and footprint', quick: false, run: measureStartupFootprint },
};

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const workspaceRoot = findWorkspaceRoot(__dirname);
  const started = Date.now();
  const log = (line: string) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[bench ${seconds}s] ${line}\n`);
  };

  const cleanups: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) {
        await fn().catch((err: unknown) => log(`clean-up failed: ${(err as Error).message}`));
      }
    })());
  // Ctrl-C: stop every process and database this run started, then leave.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      stopGhzRuns();
      stopHttpLoadRuns();
      void cleanUp().finally(() => process.exit(130));
    });
  }

  const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= make());
  };
  // The default stack's database: started first, so the machine line can name its version.
  let postgres: BenchPostgres;
  try {
    postgres = await startBenchPostgres(workspaceRoot, log);
  } catch (err) {
    await cleanUp();
    throw err;
  }
  cleanups.push(() => postgres.stop());
  const ctx: BenchContext = {
    quick: args.quick,
    databaseServer: postgres.url,
    rounds: args.rounds,
    workspaceRoot,
    bundleDir: __dirname,
    log,
    onCleanup: (fn) => cleanups.push(fn),
    ghz: once(() => ensureGhz(log)),
    protoset: once(async () => {
      const protoset = await buildProtoset(workspaceRoot);
      cleanups.push(protoset.dispose);
      return protoset.file;
    }),
    sharedBroker: once(async () => {
      log('starting a private Kafka broker');
      const broker = await startLocalBroker();
      cleanups.push(() => broker.stop());
      log(`broker ready at ${broker.brokers.join(',')}`);
      return broker.brokers;
    }),
  };

  const machine = await machineInfo(workspaceRoot, postgres.url).catch(async (err: unknown) => {
    await cleanUp();
    throw err;
  });
  log(`${args.quick ? 'quick' : 'full'} run, ${args.rounds} rounds; ${describeMachine(machine)}`);
  const sections: SectionResult[] = [];
  const skipped: ModuleName[] = [];
  try {
    for (const name of MODULE_NAMES) {
      const module = MODULES[name];
      if (!args.only.includes(name)) continue;
      if (args.quick && !module.quick && !args.explicit) {
        skipped.push(name);
        continue;
      }
      log(`${module.title}...`);
      const t0 = Date.now();
      try {
        sections.push(await module.run(ctx));
      } catch (err) {
        log(`${module.title} failed: ${(err as Error).stack ?? String(err)}`);
        sections.push(failedSection(module.title, '', err));
      }
      log(`${module.title} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await cleanUp();
  }

  console.log(renderText(sections));
  console.log(renderGoalsText(sections));
  if (skipped.length > 0) {
    console.log(
      `\nnot in --quick (run them with --quick --only ${skipped.join(',')}): ${skipped.join(', ')}`,
    );
  }
  console.log(
    `\n${args.quick ? 'quick' : 'full'} run, ${args.rounds} alternating rounds, ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s; ${describeMachine(machine)}; ${machine.date}`,
  );
  if (args.out !== undefined) {
    const path = resolve(workspaceRoot, args.out);
    writeDocument(
      path,
      renderDocument(
        sections,
        machine,
        [
          'npm run bench',
          ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
        ].join(' '),
      ),
    );
    log(`wrote ${path}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
