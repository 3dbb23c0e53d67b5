import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tickbridge/', 'bench/kafka-client/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.object.name='process'][object.property.name='env']",
          message:
            'Read environment variables only in src/config/ (passing process.env on to a child is fine).'
        }
      ]
    }
  },
  {
    // Type-aware rules need the TypeScript program (tsconfig.json) to know what is a promise.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true } },
    rules: {
      // A promise nobody awaits hides its rejection; `void` marks the deliberate fire-and-forget ones.
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test() returns a promise the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'suite', 'describe', 'it'] }
          ]
        }
      ],
      // An async function where a plain callback is expected (an event handler, a forEach) loses its errors.
      '@typescript-eslint/no-misused-promises': 'error'
    }
  },
  {
    // The hub dashboard runs in the browser as a plain script.
    files: ['src/hub/dashboard/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' }
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'bin/**', 'eslint.config.js'],
    rules: { 'no-restricted-syntax': 'off' }
  }
)
