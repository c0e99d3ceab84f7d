import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// The dependency rules of DESIGN.md, enforced: protocol/ imports neither side,
// controller/ and dataplane/ never import each other.
const forbid = (...dirs) => ({
  'no-restricted-imports': [
    'error',
    { patterns: dirs.map((d) => ({ group: [`**/${d}/**`, `**/${d}`], message: `must not import ${d}/` })) },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['protocol/src/**/*.ts'], rules: forbid('controller', 'dataplane', 'cli') },
  { files: ['controller/src/**/*.ts'], ignores: ['**/*.test.ts'], rules: forbid('dataplane', 'cli') },
  { files: ['dataplane/src/**/*.ts'], ignores: ['**/*.test.ts'], rules: forbid('controller', 'cli') },
);
