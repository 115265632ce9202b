module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'console-app',
  rootDir: __dirname,
};
