module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'event-bus',
  rootDir: __dirname,
  // One real broker for the whole run; see libs/testing/src/jest-kafka-setup.ts.
  globalSetup: '<rootDir>/../testing/src/jest-kafka-setup.ts',
  globalTeardown: '<rootDir>/../testing/src/jest-kafka-teardown.ts',
};
