// Layer rules: the folder says the runtime. Do not relax these rules; move the code instead.
//   app/contract  zod only            app/      Node + app/ (no electron, react, renderer, main)
//   main/         electron, node, app renderer/ react, zustand, app/contract only
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'stream', 'stream/*', 'zlib', 'http', 'https', 'net', 'url', 'util', 'events', 'buffer'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'release/', '.cache/', '.kit/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['app/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^(?!zod$|\\./)', message: 'Bad layering: app/contract may import zod and its own files only.' },
        ],
      }],
    },
  },
  {
    files: ['app/**/*.ts'],
    ignores: ['app/contract/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'electron', message: 'Bad layering: the engine (app/) runs headless; Electron belongs in main/.' },
          { name: 'react', message: 'Bad layering: the engine (app/) has no UI.' },
        ],
        patterns: [
          { group: ['**/main/*', '**/renderer/*'], message: 'Bad layering: app/ may not import main/ or renderer/.' },
        ],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'Bad layering: the renderer talks to the engine only through window.emt.' }],
        patterns: [
          { group: nodeBuiltins, message: 'Bad layering: the renderer has no Node APIs; use window.emt.' },
          { group: ['**/app/*', '!**/app/contract', '!**/app/contract/*'], message: 'Bad layering: the renderer may import app/contract only.' },
          { group: ['**/main/*'], message: 'Bad layering: the renderer may not import main/.' },
        ],
      }],
    },
  },
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/renderer/*'], message: 'Bad layering: main/ may not import renderer/.' }],
      }],
    },
  },
);
