import tseslint from 'typescript-eslint';

const stage = (name, forbidden) => ({
  files: [`src/${name}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((other) => ({ group: [`**/${other}/*`], message: `${name} must not import ${other}` })),
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dashboard/dist/', 'docs/', 'coverage/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      curly: ['error', 'multi-line'],
      // Fastify handlers and hooks are async by contract, whether or not they await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Data flows one way: api → gate → relay → worker → db; a stage never imports a later or sibling one.
  stage('gate', ['api', 'relay', 'worker', 'retry', 'cli', 'bin', 'bench', 'db']),
  stage('db', ['api', 'gate', 'relay', 'worker', 'retry', 'cli', 'bin', 'bench']),
  stage('relay', ['api', 'worker', 'retry', 'cli', 'bin', 'bench']),
  stage('worker', ['api', 'relay', 'retry', 'cli', 'bin', 'bench']),
  stage('retry', ['api', 'relay', 'worker', 'cli', 'bin', 'bench']),
  stage('api', ['relay', 'worker', 'retry', 'cli', 'bin', 'bench']),
  // Asymmetric matchers (expect.any) are typed `any` by design.
  { files: ['**/*.test.ts'], rules: { '@typescript-eslint/no-unsafe-assignment': 'off' } },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
