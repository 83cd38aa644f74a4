// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importPlugin from 'eslint-plugin-import';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.tools/**',
      '.data/**',
      'artifacts/**',
      '.venv/**',
      'eslint.config.mjs',
      'test/lint/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // The repair page: native ES modules in the browser, type-checked from their JSDoc (`// @ts-check`).
    files: ['api/console/**/*.js'],
    languageOptions: {
      globals: { ...globals.browser },
      sourceType: 'module',
      parserOptions: {
        projectService: false,
        project: './tsconfig.console.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // Workflow code is replayed: it must be deterministic, so no Node built-ins and no I/O libraries.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow and domain code must not use Node built-ins.',
          })),
          patterns: [
            {
              group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker'],
              message: 'Not in workflow code.',
            },
            {
              group: ['express', 'pino', 'pino-*', 'undici', 'graphql'],
              message: 'No I/O libraries in workflow code.',
            },
            {
              group: ['../activities/*', '../activities', '../api/*', '../workers/*', '../sandbox/*', '../common/*'],
              allowTypeImports: true,
              message: 'Workflow code imports only types from I/O layers.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'fetch', 'require'],
    },
  },
  {
    // A refund's workflow reads in one sitting: no function over 150 lines (comments and blank lines aside).
    files: ['workflows/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // No import cycles (runtime imports; `import type` is erased), and the layers: domain/ imports nothing of the
    // project but itself; common/ nothing above domain/ (test/lint/import-rules.test.ts shows both rules fail).
    files: ['**/*.ts'],
    plugins: { import: importPlugin },
    settings: {
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import/resolver': { typescript: { project: './tsconfig.json' }, node: true },
    },
    rules: { 'import/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './domain',
              from: ['./common', './workflows', './activities', './api', './workers', './sandbox', './scripts'],
              message: 'domain/ is the lowest layer: pure rules, importing nothing of the project but itself.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './common',
              from: ['./workflows', './activities', './api', './workers', './sandbox', './scripts'],
              message: 'common/ sits just above domain/: it imports nothing of the layers that use it.',
            },
          ],
        },
      ],
    },
  },
);
