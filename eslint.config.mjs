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
//   policies   the plugins and their pipeline (policies/tool-guard: the MCP tool guard's plugin)
//   approvals  tool calls held for a person's decision (served by the ops port)
//   proxy      the request path: admit → prepare → upstream → respond, and the exchange, body,
//              resolve, scrub and SSE helpers the modules below share
//   mcp, a2a   the modules the front door hands requests to (peers: neither imports the other)
//   the front door   proxy/app.ts (the Node listener) and proxy/front-door.ts (HANDOFFS)
//   discovery, ops, warmup, server.ts   the process around it (warmup drives a throwaway front door)
//
// (config and routing share the runtime snapshot's types.) Tests and testing/ may import anything.
const SERVER_LEVEL = ['discovery', 'ops', 'warmup'];
const FRONT_DOOR = ['proxy/app', 'proxy/front-door'];
const MODULES = ['mcp', 'a2a'];
const ABOVE_POLICIES = ['approvals', 'proxy', ...MODULES, ...SERVER_LEVEL];
// [files, label, ...the folders (or files, without .ts) above them]
const DATAPLANE_LAYERS = [
  ['formats', 'formats', 'errors', 'providers', 'routing', 'telemetry', 'policies', ...ABOVE_POLICIES],
  ['errors', 'errors', 'providers', 'routing', 'telemetry', 'policies', ...ABOVE_POLICIES],
  ['providers', 'providers', 'routing', 'telemetry', 'policies', ...ABOVE_POLICIES],
  ['routing', 'routing', 'policies', ...ABOVE_POLICIES],
  ['config', 'config', 'policies', ...ABOVE_POLICIES],
  ['telemetry', 'telemetry', 'policies', ...ABOVE_POLICIES],
  ['policies', 'policies', ...ABOVE_POLICIES],
  ['approvals', 'approvals', 'proxy', ...MODULES, ...SERVER_LEVEL],
  ['proxy', 'proxy', ...MODULES, ...SERVER_LEVEL],
  ['mcp', 'mcp', 'a2a', ...FRONT_DOOR, ...SERVER_LEVEL],
  ['a2a', 'a2a', 'mcp', ...FRONT_DOOR, ...SERVER_LEVEL],
  [FRONT_DOOR, 'the front door', ...SERVER_LEVEL],
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
  ...DATAPLANE_LAYERS.map(([at, folder, ...above]) => ({
    files: Array.isArray(at) ? at.map((f) => `dataplane/src/${f}.ts`) : [`dataplane/src/${at}/**/*.ts`],
    // The front door's files are above the rest of proxy/: they have their own entry.
    ignores: ['**/*.test.ts', ...(at === 'proxy' ? FRONT_DOOR.map((f) => `dataplane/src/${f}.ts`) : [])],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...['controller', 'cli'].map((d) => ({
              group: [`**/${d}/**`, `**/${d}`],
              message: `must not import ${d}/`,
            })),
            // Upward imports only: `../errors` is the folder, `./errors` a file of the importer's own
            // (the front door's files are named from outside proxy/ only: proxy/ itself never imports them).
            ...above.map((d) => ({
              regex: `^(\\.\\./)+${d}(/|$)`,
              message: `${folder} is below ${d}: it must not import it (see the layers above)`,
            })),
          ],
        },
      ],
    },
  })),
);
