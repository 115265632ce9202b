module.exports = { ...require('../../jest.preset.js'), displayName: 'timing', rootDir: __dirname };
