module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'edge-gateway',
  rootDir: __dirname,
};
