// @ts-check
import tseslint from 'typescript-eslint';

/** Dependencies point inward (STYLE §1): UI → lib ← server → prisma-free-db. */
const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map((group) => ({ group: [group], message, allowTypeImports: true })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.next/', 'data/', 'coverage/', 'next-env.d.ts', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // ShareDB middleware contexts are untyped; each use is narrowed right where it is read.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  layer(
    ['lib/**/*.ts'],
    ['**/app/**', '**/server/**', '**/prisma-free-db/**', 'better-sqlite3', 'mongodb', 'sharedb-mongo', 'node:*', 'monaco-editor'],
    'lib/ is isomorphic: it imports nothing from app/, server/, prisma-free-db/, Node built-ins or monaco at run time.',
  ),
  layer(
    ['app/**/*.ts', 'app/**/*.tsx'],
    ['**/prisma-free-db/**', 'better-sqlite3', 'mongodb', 'sharedb-mongo'],
    'app/ talks to the server over HTTP and Socket.io only.',
  ),
  layer(
    ['server/**/*.ts'],
    ['**/app/**', 'better-sqlite3', 'mongodb', 'sharedb-mongo'],
    'Only prisma-free-db/ touches a database driver.',
  ),
  layer(['prisma-free-db/**/*.ts'], ['**/app/**', '**/server/**'], 'prisma-free-db/ is the innermost layer.'),
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
