import tseslint from 'typescript-eslint';

/*
 * Imports run one way: cli → roles → stages (api, relay, worker, retry) → datastore owners (gate, store,
 * kafka) → runtime → core (src/*.ts). A folder may import only the folders listed for it; each datastore's
 * driver may be imported only by its owner (and by bench, which runs the rival designs).
 */
const folders = ['api', 'bench', 'cli', 'gate', 'kafka', 'relay', 'retry', 'roles', 'runtime', 'store', 'worker'];
const mayImport = {
  runtime: [],
  gate: ['runtime'],
  store: ['runtime'],
  kafka: ['runtime'],
  relay: ['gate', 'kafka', 'runtime'],
  worker: ['store', 'kafka', 'runtime'],
  retry: ['gate', 'store', 'runtime'],
  api: ['gate', 'store', 'kafka', 'runtime'],
  roles: ['api', 'relay', 'worker', 'retry', 'gate', 'store', 'kafka', 'runtime'],
  // bench is a command like the roles: the CLI checks its flags before it loads it (and its chart's packages).
  cli: ['roles', 'bench', 'runtime'],
  bench: ['roles', 'api', 'relay', 'worker', 'retry', 'gate', 'store', 'kafka', 'runtime'],
};
const drivers = {
  redis: ['gate', 'bench'],
  pg: ['store', 'bench'],
  mysql2: ['store', 'bench'],
  'mysql2/promise': ['store', 'bench'],
  kysely: ['store', 'bench'],
  '@platformatic/kafka': ['kafka', 'relay', 'worker', 'bench'],
};

// The rest reach Redis through the gate's API (gate.ts, open-gate.ts, outbox.ts), never its keys or client.
const gateInternals = {
  group: ['**/gate/keys.ts', '**/gate/redis.ts'],
  message: 'only gate spells Redis keys or holds a Redis client',
};

const boundaryOf = (name) => ({
  files: [`src/${name}/**/*.ts`],
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: Object.entries(drivers)
          .filter(([, owners]) => !owners.includes(name))
          .map(([driver, owners]) => ({ name: driver, message: `only ${owners.join(', ')} may speak to ${driver}` })),
        patterns: folders
          .filter((other) => other !== name && !mayImport[name].includes(other))
          .map((other) => ({
            group: [`**/${other}/*`],
            message: `${name} must not import ${other}`,
            // The operator CLI speaks the API's wire format, so it may name the API's types.
            allowTypeImports: name === 'cli' && other === 'api',
          }))
          .concat(name === 'gate' || name === 'bench' ? [] : [gateInternals]),
      },
    ],
  },
});

const core = {
  files: ['src/*.ts'],
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: Object.keys(drivers).map((driver) => ({ name: driver, message: 'core speaks to no datastore' })),
        patterns: folders.map((other) => ({ group: [`./${other}/*`], message: `core must not import ${other}` })),
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dashboard/dist/', 'waiting-page/dist/', 'docs/', 'coverage/'] },
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
  core,
  ...folders.map(boundaryOf),
  // Asymmetric matchers (expect.any) are typed `any` by design.
  { files: ['**/*.test.ts'], rules: { '@typescript-eslint/no-unsafe-assignment': 'off' } },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
