module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'traces-cli',
  rootDir: __dirname,
  // The OTLP exporter the CLI test drives loads node:http with import(),
  // which jest's CommonJS runtime refuses unless it is compiled to a require.
  transformIgnorePatterns: ['/node_modules/(?!(jose|kysely|@opentelemetry/otlp-exporter-base)/)'],
};
