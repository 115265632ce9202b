module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'subscription-service',
  rootDir: __dirname,
  // One real broker for the whole run; see libs/testing/src/jest-kafka-setup.ts.
  globalSetup: '<rootDir>/../../libs/testing/src/jest-kafka-setup.ts',
  globalTeardown: '<rootDir>/../../libs/testing/src/jest-kafka-teardown.ts',
};
