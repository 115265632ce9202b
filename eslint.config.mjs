import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Libs in layers, lowest first: a lib may use its own layer and those below,
// never one above. util: no infrastructure at all (time, errors, logs,
// config); infra: one external system each (PostgreSQL, gRPC); platform: what
// combines them (the event bus over Kafka and PostgreSQL, telemetry);
// runtime: a whole service's lifecycle. Contracts sit under every layer.
const LAYERS = ['layer:util', 'layer:infra', 'layer:platform', 'layer:runtime'];

/**
 * The module boundaries. `testCode` is for specs and test harnesses: they may
 * also use libs/testing (type:testing), which production code never imports.
 */
function boundaries(testCode) {
  const testing = testCode ? ['type:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints: [
        // Apps are deployables: they compose libs and never import each other.
        {
          sourceTag: 'type:app',
          onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', ...testing],
        },
        // Libs are shared building blocks: never an app or a tool.
        {
          sourceTag: 'type:lib',
          onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', ...testing],
        },
        ...LAYERS.map((layer, i) => ({
          sourceTag: layer,
          onlyDependOnLibsWithTags: ['type:contracts', ...LAYERS.slice(0, i + 1), ...testing],
        })),
        // Test support builds on the libs, never on an app.
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts'] },
        // Contracts are generated protobuf code plus plain data about it: nothing but protobuf.
        {
          sourceTag: 'type:contracts',
          onlyDependOnLibsWithTags: [],
          allowedExternalImports: ['@bufbuild/protobuf', '@bufbuild/protobuf/*'],
        },
        // Tools and the end-to-end suite drive the system from outside, as tests do.
        {
          sourceTag: 'type:tool',
          onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:testing'],
        },
        {
          sourceTag: 'type:e2e',
          onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:testing'],
        },
        // Shared code never reaches into one service's scope; a service sees its own and shared.
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        ...[
          'auth',
          'inventory',
          'order',
          'post',
          'notification',
          'reporting',
          'subscription',
          'console',
        ].map((scope) => ({
          sourceTag: `scope:${scope}`,
          onlyDependOnLibsWithTags: ['scope:shared', `scope:${scope}`],
        })),
      ],
    },
  ];
}

/** Specs and the helpers only they use. */
const TEST_CODE = ['**/*.spec.ts', '**/testing/**/*.ts', '**/start-*-test-server.ts'];

export default [
  {
    ignores: ['**/node_modules', '**/dist', '**/.data', '**/.nx', '**/gen/**'],
  },
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: TEST_CODE,
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
  },
  {
    // Type-aware: a promise nobody awaits, returns or marks with `void` loses
    // its rejection (an unhandled rejection ends the process) and its timing.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Plain-Node entry scripts (npm start, npm test, npm run bench) run before
    // anything is built, so they share tools/scripts by relative path, not by an
    // alias; the TypeScript projects' boundaries above still apply everywhere else.
    files: ['tools/**/*.mjs'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // Tooling configs extend the workspace's shared presets by relative path by design.
    files: ['**/jest.config.js'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
