// The chaos suite: a three-node Kafka cluster, PostgreSQL and two replicas of
// four services under load while faults are injected. Minutes long, so it is
// `npm run test:chaos` of its own rather than part of `npm test`.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'chaos',
  rootDir: __dirname,
  testTimeout: 600_000,
};
