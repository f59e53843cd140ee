// Shared ESLint flat config for every Coral workspace.
// `coralConfig({ platform })` picks the globals a package may use:
//  - 'node':    services and tools
//  - 'browser': the player page
//  - 'free':    platform-free packages (protocol, engine): no window/navigator/process/document,
//               no Node builtins. This is the lint half of the dependency-direction rule; the
//               architecture test in tooling/arch checks package.json dependencies.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const platformFreeRestrictions = {
  'no-restricted-globals': [
    'error',
    ...['window', 'document', 'navigator', 'process', 'Buffer', 'global', 'self', 'location'].map(
      (name) => ({ name, message: `platform-free code must not touch ${name}; inject it` }),
    ),
  ],
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['node:*'], message: 'platform-free code must not import Node builtins' },
        {
          group: [
            'fs',
            'path',
            'os',
            'http',
            'https',
            'net',
            'crypto',
            'stream',
            'events',
            'url',
            'child_process',
            'worker_threads',
            'buffer',
            'util',
            'timers',
          ],
          message: 'platform-free code must not import Node builtins',
        },
      ],
    },
  ],
};

/**
 * @param {{ platform?: 'node' | 'browser' | 'free', tsconfigRootDir: string, ignores?: string[] }} options
 */
export function coralConfig({ platform = 'node', tsconfigRootDir, ignores = [] }) {
  const platformGlobals =
    platform === 'node' ? globals.node : platform === 'browser' ? globals.browser : {};
  return tseslint.config(
    { ignores: ['dist/**', 'coverage/**', 'node_modules/**', ...ignores] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: {
        globals: platformGlobals,
        parserOptions: { projectService: true, tsconfigRootDir },
      },
      rules: {
        '@typescript-eslint/no-unused-vars': [
          'error',
          { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
        ],
        '@typescript-eslint/consistent-type-imports': 'error',
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': [
          'error',
          { checksVoidReturn: { arguments: false } },
        ],
        '@typescript-eslint/require-await': 'off',
        'no-console': platform === 'node' ? 'off' : 'error',
        eqeqeq: ['error', 'always', { null: 'ignore' }],
      },
    },
    platform === 'free' ? { files: ['src/**/*.ts'], rules: platformFreeRestrictions } : {},
    {
      files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
      extends: [tseslint.configs.disableTypeChecked],
      languageOptions: { globals: globals.node },
    },
    {
      files: ['test/**/*.ts', '**/*.test.ts'],
      rules: {
        '@typescript-eslint/no-non-null-assertion': 'off',
        '@typescript-eslint/unbound-method': 'off',
        // vitest's asymmetric matchers (expect.any, expect.stringContaining) are typed `any`.
        '@typescript-eslint/no-unsafe-assignment': 'off',
        'no-console': 'off',
      },
    },
  );
}
