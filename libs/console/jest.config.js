const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'console',
  rootDir: __dirname,
  // The OTLP exporters the telemetry tests drive load node:http with import(),
  // which jest's CommonJS runtime refuses; compiled like the preset's ESM
  // packages, it becomes a require.
  transformIgnorePatterns: ['/node_modules/(?!(jose|kysely|@opentelemetry/otlp-exporter-base)/)'],
};
