// ESLint flat config: typescript-eslint's type-aware recommended rules for src/ and test/.
// Formatting is Prettier's job (.prettierrc.json); `npm run lint` runs both, `npm run format` rewrites.
//
// Exceptions are made where they are justified, never by turning a rule off for a whole file: a rule's options
// below (with the reason), or an `// eslint-disable-next-line RULE -- reason` on the one line.
import js from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist/', 'out/', 'fixtures/', '.scratch/', '.cache/', '.onnxpress-cache/', 'bench-models/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // src/ is typed by tsconfig.json, test/ by test/tsconfig.json.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore marks a name as unused on purpose (as tsc's noUnusedLocals/noUnusedParameters read it):
      // a parameter an interface requires, or a key taken out of an object by destructuring.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // Disable comments: one line at a time, named rules, each with a reason after `--`.
    extends: [comments.recommended],
    rules: {
      '@eslint-community/eslint-comments/disable-enable-pair': ['error', { allowWholeFile: false }],
      '@eslint-community/eslint-comments/no-unlimited-disable': 'error',
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
    },
  },
]);
