module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'post-service',
  rootDir: __dirname,
};
