module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'console-app',
  rootDir: __dirname,
  // The browser app under ui/ is a project of its own (console-ui), with its own jest config.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/ui/'],
};
