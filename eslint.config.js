import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'migrations/**', '.idgraph/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: a promise nobody awaits loses its error (an unhandled rejection ends the process).
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['libs/graph/drizzle.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // libs/okta knows nothing of the database or the queues: of @idgraph/core it may use the generic
    // helpers (retry, sleep, logger, errors, env parsing), never the queue contracts or the app config.
    files: ['libs/okta/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@idgraph/core',
              importNames: ['QUEUES', 'rateGovernorKeyPrefix', 'CollectJobData', 'RefreshJobData', 'loadConfig', 'IdgraphConfig'],
              message: 'libs/okta knows nothing of queues or the app configuration: take what you need as an option.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      // expect(value, message) is vitest's way to say what an assertion is about.
      'vitest/valid-expect': ['error', { maxArgs: 2 }],
      // Helpers named expect… (expectChanges, expectValid) assert for the test that calls them.
      'vitest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*'] }],
      // Setup that checks its own steps (a CLI command exited 0) fails loudly instead of later.
      'vitest/no-standalone-expect': ['error', { additionalTestBlockFunctions: ['beforeAll', 'beforeEach', 'afterAll', 'afterEach'] }],
    },
  },
);
