import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

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
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Apps are deployables: they compose libs and never import each other.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts'] },
            // Libs are shared building blocks: never an app or a tool.
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts'] },
            // Contracts are generated protobuf code plus plain data about it: nothing but protobuf.
            {
              sourceTag: 'type:contracts',
              onlyDependOnLibsWithTags: [],
              allowedExternalImports: ['@bufbuild/protobuf', '@bufbuild/protobuf/*'],
            },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts'] },
            // Shared code never reaches into one service's scope; a service sees its own and shared.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            ...['auth', 'inventory', 'order', 'post', 'notification', 'reporting'].map((scope) => ({
              sourceTag: `scope:${scope}`,
              onlyDependOnLibsWithTags: ['scope:shared', `scope:${scope}`],
            })),
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
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
