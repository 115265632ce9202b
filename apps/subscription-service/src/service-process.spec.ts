import { startServiceProcess, type ServiceProcess } from '@switchboard/testing';
import { testQueueUrl } from './testing/test-queue-url';

// main.ts as `npm start` runs it: bundled, in a process of its own, it
// migrates its database, joins its group, opens its work queue and answers
// SERVING. SERVING needs the queue probe, which passes only once the
// dispatcher and the delivery workers run on the open queue. No log line is
// looked for: on the run's shared broker this process may be busy
// dead-lettering other specs' records, and they crowd the output.
describe('subscription-service process', () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
  });

  it('starts from main.ts and answers SERVING, its queue open', async () => {
    service = await startServiceProcess({
      app: 'subscription-service',
      // Peers a test does not start are unreachable, never a well-known port.
      env: { AUTH_ADDR: '127.0.0.1:1', LOG_LEVEL: 'info', QUEUE_URL: testQueueUrl() },
    });
    expect(service.port).toBeGreaterThan(0);
    await service.stop();
  });
});
