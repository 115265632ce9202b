module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'subscription-service',
  rootDir: __dirname,
  // One Kafka broker and one RabbitMQ node (and an ElasticMQ) for the whole run.
  globalSetup: '<rootDir>/src/testing/jest-setup.ts',
  globalTeardown: '<rootDir>/src/testing/jest-teardown.ts',
};
