// ESLint flat config: typescript-eslint recommended, plus the folder layering rule (tools/eslint/layers.js).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layers from './tools/eslint/layers.js';

const root = import.meta.dirname;

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'native/build/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.tsbuild/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    plugins: { netwright: layers },
    rules: {
      'netwright/layers': ['error', { root }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  // Browser code.
  { files: ['renderer/**'], languageOptions: { globals: globals.browser } },
  // Node code: main/, native/ts, tests, bench, scripts and configs.
  {
    files: ['main/**', 'native/**', 'tests/**', 'bench/**', 'scripts/**', 'tools/**', 'bin/**', '*.{js,ts,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
