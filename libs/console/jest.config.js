const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'console',
  rootDir: __dirname,
  // The OTLP exporters the telemetry tests drive load node:http with import(),
  // which jest's CommonJS runtime refuses; compiled like the preset's ESM
  // packages, it becomes a require.
  transformIgnorePatterns: ['/node_modules/(?!(jose|kysely|@opentelemetry/otlp-exporter-base)/)'],
  // The topic and dead-letter views run against one real broker for the whole run.
  globalSetup: '<rootDir>/../testing/src/jest-kafka-setup.ts',
  globalTeardown: '<rootDir>/../testing/src/jest-kafka-teardown.ts',
};
