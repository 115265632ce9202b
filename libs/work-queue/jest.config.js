const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'work-queue',
  rootDir: __dirname,
  // Real brokers: one RabbitMQ node and one ElasticMQ for the whole run.
  globalSetup: '<rootDir>/src/testing/jest-queue-setup.ts',
  globalTeardown: '<rootDir>/src/testing/jest-queue-teardown.ts',
};
