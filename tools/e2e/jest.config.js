module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  // Starting the broker and six services takes a while on two cores.
  testTimeout: 300_000,
};
