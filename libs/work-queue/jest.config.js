const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'work-queue',
  rootDir: __dirname,
};
