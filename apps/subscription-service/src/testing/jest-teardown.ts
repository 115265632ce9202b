// Loaded outside jest's module mapper, like jest-setup.ts: imports by path.
/* eslint-disable @nx/enforce-module-boundaries */
import jestKafkaTeardown from '../../../../libs/testing/src/jest-kafka-teardown';
import jestQueueTeardown from '../../../../libs/work-queue/src/testing/jest-queue-teardown';

export default async function jestTeardown(): Promise<void> {
  await Promise.all([jestKafkaTeardown(), jestQueueTeardown()]);
}
