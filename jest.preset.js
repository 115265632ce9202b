// Shared by every project's jest.config.js. TypeScript is compiled by SWC
// (type checking is tsc's job in `npm run typecheck`), and the tsconfig path
// aliases are mirrored here so tests import libs exactly as apps do.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  const from = '^' + alias.replace('*', '(.*)') + '$';
  moduleNameMapper[from] = path.join(__dirname, target.replace('*', '$1'));
}

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[cm]?[tj]s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'commonjs' },
      },
    ],
  },
  // ESM-only dependencies (jose, kysely) must be compiled to CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(jose|kysely)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper,
  testMatch: ['**/*.spec.ts'],
  // Tests run the services in development mode, as npm start does; a test of
  // production mode passes its own environment to the config loader.
  setupFiles: [path.join(__dirname, 'tools/scripts/jest-development-env.js')],
  // Integration tests talk to a real broker and database; give them room.
  testTimeout: 60_000,
};
