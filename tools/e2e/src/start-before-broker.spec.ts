import { HealthCheckResponse_ServingStatus as ServingStatus, Health } from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import {
  freePort,
  serviceApps,
  startLocalBroker,
  startServiceProcess,
  type ServiceProcess,
  type TestBroker,
} from '@switchboard/testing';
import { startRabbitTestBroker, type RabbitTestBroker } from '@switchboard/work-queue/testing';

async function healthOf(address: string): Promise<string> {
  const transport = createGrpcJsTransport({ address, defaultTimeoutMs: 2_000 });
  try {
    const { status } = await createServiceClient(Health, transport).check({ service: '' });
    return ServingStatus[status] ?? String(status);
  } catch (err) {
    return (err as Error).message;
  } finally {
    transport.close();
  }
}

/**
 * In production the broker restarts, or comes up after the services. Every
 * service must then start anyway, say NOT_SERVING, and become SERVING by
 * itself once Kafka answers (creating its topics then), and the subscription
 * service once its RabbitMQ does too, without a restart.
 */
describe('services started before their brokers', () => {
  const running: ServiceProcess[] = [];
  let broker: TestBroker | undefined;
  let rabbit: RabbitTestBroker | undefined;

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await broker?.stop();
    await rabbit?.stop();
  });

  it('answer NOT_SERVING, then become SERVING once the brokers are up', async () => {
    const port = await freePort();
    const brokers = `127.0.0.1:${port}`;
    // The subscription service's work queue is down too, and comes up with Kafka.
    const rabbitPorts = { amqp: await freePort(), dist: await freePort(), epmd: await freePort() };
    const queueUrl = `amqp://guest:guest@127.0.0.1:${rabbitPorts.amqp}`;
    for (const app of serviceApps) {
      running.push(
        await startServiceProcess({
          app,
          env: { KAFKA_BROKERS: brokers, QUEUE_URL: queueUrl },
          waitFor: 'answering',
        }),
      );
    }
    for (const service of running) expect(await healthOf(service.address)).toBe('NOT_SERVING');

    [broker, rabbit] = await Promise.all([
      startLocalBroker({ port }),
      startRabbitTestBroker({ ports: rabbitPorts }),
    ]);
    const deadline = Date.now() + 90_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      statuses = await Promise.all(running.map((s) => healthOf(s.address)));
      if (statuses.every((s) => s === 'SERVING')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(statuses).toEqual(serviceApps.map(() => 'SERVING'));
    // Nobody gave up and exited along the way.
    for (const service of running) expect(await healthOf(service.address)).toBe('SERVING');
  });
});
