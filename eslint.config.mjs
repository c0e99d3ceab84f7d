import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// protocol/, controller/ and dataplane/ are npm workspaces (@tollgate/protocol, …): anything outside
// a package imports it by its name, never its sources by a relative path ('../../protocol/src').
const PACKAGES = ['protocol', 'controller', 'dataplane'];
const ACROSS = {
  regex: `^(\\.\\./)+(${PACKAGES.join('|')})/src(/|$)`,
  message:
    'import the package by its name (@tollgate/protocol, @tollgate/dataplane/testing/…), not its sources',
};
/** The same for `import()`, which no-restricted-imports does not see. */
const dynamicImports = (regex, message) => ({
  'no-restricted-syntax': ['error', { selector: `ImportExpression[source.value=/${regex}/]`, message }],
});
const ACROSS_DYNAMIC = dynamicImports(`^(\\.\\.\\u002F)+(${PACKAGES.join('|')})\\u002Fsrc`, ACROSS.message);
const restrict = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns: [ACROSS, ...patterns] }],
});

// The dependency rules of DESIGN.md, enforced: protocol/ imports neither side,
// controller/ and dataplane/ never import each other, none imports the CLI.
const forbidden = (d) => ({
  group: [`**/${d}/**`, `**/${d}`, `@tollgate/${d}`, `@tollgate/${d}/**`],
  message: `must not import ${d}/`,
});
// (and a package names its own modules by relative paths: its name is for the others)
const own = (d) => ({
  group: [`@tollgate/${d}`, `@tollgate/${d}/**`],
  message: `${d}/ names its own modules by relative path, not @tollgate/${d}`,
});
const forbid = (self, ...dirs) => restrict(own(self), ...dirs.map(forbidden));

// The CLI composes the packages through their entry points only: each package's index, and the two
// that load gRPC and the Kubernetes client (imported where the command that needs them runs).
const CLI_ENTRIES = ['@tollgate/controller/server', '@tollgate/dataplane/discovery/client'];
const CLI_ONLY_ENTRIES = {
  regex: `^@tollgate/(?!(${PACKAGES.join('|')}|${CLI_ENTRIES.map((e) => e.slice('@tollgate/'.length)).join('|')})$)`,
  message: `the CLI imports @tollgate/{${PACKAGES.join(',')}} or ${CLI_ENTRIES.join(', ')} only (their entry points)`,
};

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
  { ignores: ['dist/**', '*/dist/**', 'node_modules/**', 'coverage/**', '.cache/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.ts'], rules: { ...restrict(), ...ACROSS_DYNAMIC } },
  { files: ['protocol/src/**/*.ts'], rules: forbid('protocol', 'controller', 'dataplane', 'cli') },
  {
    files: ['controller/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid('controller', 'dataplane', 'cli'),
  },
  {
    files: ['dataplane/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid('dataplane', 'controller', 'cli'),
  },
  {
    files: ['cli/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      ...restrict(CLI_ONLY_ENTRIES),
      // (replaces the rule's options above for these files: ACROSS_DYNAMIC's selector is kept)
      'no-restricted-syntax': [
        'error',
        ...ACROSS_DYNAMIC['no-restricted-syntax'].slice(1),
        ...dynamicImports(CLI_ONLY_ENTRIES.regex.replaceAll('/', '\\u002F'), CLI_ONLY_ENTRIES.message)[
          'no-restricted-syntax'
        ].slice(1),
      ],
    },
  },
  ...DATAPLANE_LAYERS.map(([at, folder, ...above]) => ({
    files: Array.isArray(at) ? at.map((f) => `dataplane/src/${f}.ts`) : [`dataplane/src/${at}/**/*.ts`],
    // The front door's files are above the rest of proxy/: they have their own entry.
    ignores: ['**/*.test.ts', ...(at === 'proxy' ? FRONT_DOOR.map((f) => `dataplane/src/${f}.ts`) : [])],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ACROSS,
            own('dataplane'),
            ...['controller', 'cli'].map(forbidden),
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
