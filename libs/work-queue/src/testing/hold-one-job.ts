// A consumer process for the crash test: takes one job from QUEUE_URL, says
// so on stdout ("took <id> <attempt>"), and never finishes it, so the test
// can SIGKILL this process with the job in hand.
import { createWorkQueue } from '../create-work-queue';

async function main(): Promise<void> {
  const queueUrl = process.env.QUEUE_URL;
  if (!queueUrl) throw new Error('QUEUE_URL is not set');
  const queue = await createWorkQueue(queueUrl, {
    // SQS: the job returns this long after the kill.
    visibilityTimeoutSeconds: 1,
    waitTimeSeconds: 1,
  });
  await queue.consume(async (job) => {
    process.stdout.write(`took ${job.id} ${job.attempt}\n`);
    return new Promise(() => {});
  });
  process.stdout.write('consuming\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
