import { startServiceProcess, type ServiceProcess } from '@switchboard/testing';
import { testQueueUrl } from './testing/test-queue-url';

// main.ts as `npm start` runs it: bundled, in a process of its own, it
// migrates its database, joins its group and answers SERVING. Without a
// work-queue backend built in (see open-work-queue.ts) it says so at start.
describe('subscription-service process', () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
  });

  it('starts from main.ts, serves, and stops on SIGTERM', async () => {
    service = await startServiceProcess({
      app: 'subscription-service',
      // Peers a test does not start are unreachable, never a well-known port.
      env: { AUTH_ADDR: '127.0.0.1:1', LOG_LEVEL: 'info', QUEUE_URL: testQueueUrl() },
    });
    expect(service.port).toBeGreaterThan(0);
    await service.stop();
    expect(service.output()).toMatch(/delivery workers started/);
  });
});
