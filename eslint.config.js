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
    // The hub dashboard runs in the browser as a plain script.
    files: ['src/hub/dashboard/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' }
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'bin/**', 'eslint.config.js'],
    rules: { 'no-restricted-syntax': 'off' }
  }
)
