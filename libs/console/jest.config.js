const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'console',
  rootDir: __dirname,
  // The topic and dead-letter views run against one real broker for the whole run.
  globalSetup: '<rootDir>/../testing/src/jest-kafka-setup.ts',
  globalTeardown: '<rootDir>/../testing/src/jest-kafka-teardown.ts',
};
