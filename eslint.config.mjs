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

// Inside the dataplane the folder order is the architecture; each folder imports only from below it:
//
//   formats    the wire codecs and the neutral model: pure, nothing of the dataplane but itself
//   errors     GatewayError and the gateway's own errors (rendered by the formats' codecs)
//   providers  adapters to the upstreams (AdapterSet, profiles, auth)
//   routing    balancer, health, dispatch       config     the runtime snapshot and its store
//   telemetry  logs and metrics
//   policies   the plugins and their pipeline
//   proxy      the request path: front door, admit → prepare → upstream → respond
//   discovery, ops, server.ts   the process around it
//
// (config and routing share the runtime snapshot's types.) Tests and testing/ may import anything.
const SERVER_LEVEL = ['discovery', 'ops'];
const DATAPLANE_LAYERS = [
  ['formats', 'errors', 'providers', 'routing', 'telemetry', 'policies', 'proxy', ...SERVER_LEVEL],
  ['errors', 'providers', 'routing', 'telemetry', 'policies', 'proxy', ...SERVER_LEVEL],
  ['providers', 'routing', 'telemetry', 'policies', 'proxy', ...SERVER_LEVEL],
  ['routing', 'policies', 'proxy', ...SERVER_LEVEL],
  ['config', 'policies', 'proxy', ...SERVER_LEVEL],
  ['telemetry', 'policies', 'proxy', ...SERVER_LEVEL],
  ['policies', 'proxy', ...SERVER_LEVEL],
  ['proxy', ...SERVER_LEVEL],
];

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
  ...DATAPLANE_LAYERS.map(([folder, ...above]) => ({
    files: [`dataplane/src/${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...['controller', 'cli'].map((d) => ({
              group: [`**/${d}/**`, `**/${d}`],
              message: `must not import ${d}/`,
            })),
            // Upward imports only: `../errors` is the folder, `./errors` a file of the importer's own.
            ...above.map((d) => ({
              regex: `^(\\.\\./)+${d}(/|$)`,
              message: `${folder}/ is below ${d}/: it must not import it (see the layers above)`,
            })),
          ],
        },
      ],
    },
  })),
);
