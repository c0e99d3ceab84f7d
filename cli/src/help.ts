/**
 * The help of `tollgate` and of each subcommand: every flag with what it does, its environment
 * variable and its default. The flags themselves are the parsers' (args.ts, controller-args.ts);
 * help.test.ts checks that every flag a parser accepts is described here.
 */

export interface FlagHelp {
  /** The value's placeholder; none for a boolean flag. */
  arg?: string;
  short?: string;
  text: string;
  env?: string;
  default?: string;
}

export const COMMANDS = ['run', 'dataplane', 'controller', 'validate', 'compile'] as const;
export type Command = (typeof COMMANDS)[number];

export function isCommand(name: string | undefined): name is Command {
  return (COMMANDS as readonly string[]).includes(name ?? '');
}

const FILE: FlagHelp = {
  arg: '<file|dir|->',
  short: 'f',
  text: 'manifests: a file, a directory (every *.yaml/*.yml inside) or - for standard input; repeatable',
};

/** Shared by `run` and `dataplane`. */
const SERVE: Record<string, FlagHelp> = {
  host: {
    arg: '<addr>',
    text: 'listen address (0.0.0.0 in containers)',
    env: 'TOLLGATE_HOST',
    default: '127.0.0.1',
  },
  port: { arg: '<n>', text: 'proxy port', env: 'TOLLGATE_PORT', default: '8081' },
  'ops-port': {
    arg: '<n>',
    text: 'health, metrics and config dump port',
    env: 'TOLLGATE_OPS_PORT',
    default: '9091',
  },
  'grace-period': {
    arg: '<s>',
    text: 'seconds in-flight requests get to finish on SIGTERM',
    env: 'TOLLGATE_GRACE_PERIOD',
    default: '10',
  },
  'log-level': {
    arg: '<level>',
    text: 'trace, debug, info, warn, error, fatal or silent',
    env: 'TOLLGATE_LOG_LEVEL',
    default: 'info',
  },
  'redis-url': {
    arg: '<url>',
    text: 'Redis shared by every replica for rate limits, token limits and budgets (redis:// or rediss://)',
    env: 'TOLLGATE_REDIS_URL',
    default: 'in-process counters',
  },
  'max-connections': {
    arg: '<n>',
    text: 'most client connections the proxy port holds open; more are closed as they arrive',
    env: 'TOLLGATE_MAX_CONNECTIONS',
    default: '10000',
  },
  'ops-token': {
    arg: '<token>',
    text: "bearer token required by the ops port's /approvals endpoints (the ops port has no other auth: never expose it)",
    env: 'TOLLGATE_OPS_TOKEN',
    default: 'none',
  },
  'ops-url': {
    arg: '<url>',
    text: 'where approvers reach the ops port; approval webhooks link to {url}/approvals/{id}',
    env: 'TOLLGATE_OPS_URL',
    default: 'http://{host}:{ops-port}',
  },
  workers: {
    arg: '<n|auto>',
    text: 'worker processes sharing the proxy port (auto: one per core); config, /metrics and shutdown stay in this process; above 1, rate, token and budget limits need --redis-url',
    env: 'TOLLGATE_WORKERS',
    default: '1',
  },
  warmup: {
    arg: '<s>',
    text: 'at most this long, before reporting ready, synthetic requests warm up the routes and formats of the config through an in-process fake upstream (nothing is counted, logged or sent upstream); 0: no warm-up',
    env: 'TOLLGATE_WARMUP',
    default: '1.5',
  },
  'warmup-connections': {
    arg: '<n>',
    text: 'connections opened ahead of traffic to each upstream origin of the config during the warm-up (no request is sent); 0: none',
    env: 'TOLLGATE_WARMUP_CONNECTIONS',
    default: '4',
  },
  'max-semi-space': {
    arg: '<MB>',
    text: "where V8's young generation stops growing once the proxy serves, per semi-space (V8's own maximum: 16); smaller keeps RSS lower under load for a little more CPU per request; 0: V8's own (so does node's --max-semi-space-size given in NODE_OPTIONS)",
    env: 'TOLLGATE_MAX_SEMI_SPACE',
    default: '4',
  },
  'optimize-wasm': {
    text: "let V8 optimise undici's HTTP parser (WebAssembly) with TurboFan: about 6 % less CPU per request at saturation, ~30 MB more RSS at the start's peak",
    env: 'TOLLGATE_OPTIMIZE_WASM',
    default: 'off',
  },
};

interface CommandHelp {
  summary: string;
  usage: string;
  flags: Record<string, FlagHelp>;
}

export const HELP: Record<Command, CommandHelp> = {
  run: {
    summary: 'serve the manifests in one process (standalone mode), reloading them on change',
    usage: 'tollgate run -f <file|dir|->... [flags]',
    flags: {
      file: FILE,
      ...SERVE,
      fleet: {
        arg: '<name>',
        text: "serve only this fleet's resources",
        env: 'TOLLGATE_FLEET',
        default: 'all',
      },
      'no-watch': { text: 'do not reload when the files change' },
    },
  },
  dataplane: {
    summary: 'serve the config the controller streams (a proxy pod)',
    usage: 'tollgate dataplane --discovery <host:port> [flags]',
    flags: {
      ...SERVE,
      discovery: {
        arg: '<host:port>',
        text: "the controller's discovery address (required)",
        env: 'TOLLGATE_DISCOVERY',
      },
      fleet: {
        arg: '<name>',
        text: 'the fleet this proxy serves',
        env: 'TOLLGATE_FLEET',
        default: 'default',
      },
      'node-id': { arg: '<id>', text: "this proxy's id", env: 'TOLLGATE_NODE_ID', default: '$HOSTNAME' },
      'discovery-ca': {
        arg: '<file>',
        text: "CA of the controller's certificate: TLS on the stream",
        env: 'TOLLGATE_DISCOVERY_CA',
        default: 'plaintext',
      },
      'token-file': {
        arg: '<file>',
        text: 'projected ServiceAccount token to present, re-read on every connect',
        env: 'TOLLGATE_TOKEN_FILE',
      },
    },
  },
  controller: {
    summary: 'watch the Kubernetes API, stream compiled config to the proxies, write status',
    usage: 'tollgate controller [flags]',
    flags: {
      kubeconfig: { arg: '<file>', text: 'kubeconfig to use', env: 'KUBECONFIG', default: 'in-cluster' },
      host: { arg: '<addr>', text: 'listen address', env: 'TOLLGATE_HOST', default: '0.0.0.0' },
      'discovery-port': {
        arg: '<n>',
        text: 'discovery stream (gRPC) port',
        env: 'TOLLGATE_DISCOVERY_PORT',
        default: '9977',
      },
      'ops-port': {
        arg: '<n>',
        text: 'health, metrics and config dump port',
        env: 'TOLLGATE_OPS_PORT',
        default: '9091',
      },
      namespaces: {
        arg: '<ns,...>',
        text: 'namespaces to watch, comma-separated',
        env: 'TOLLGATE_WATCH_NAMESPACES',
        default: 'all',
      },
      namespace: {
        arg: '<ns>',
        text: "the controller's own namespace (Lease, TLS Secret, CA ConfigMap)",
        env: 'POD_NAMESPACE',
        default: 'tollgate-system',
      },
      identity: {
        arg: '<name>',
        text: "this replica's name in the Lease",
        env: 'POD_NAME',
        default: 'host name',
      },
      'tls-secret': {
        arg: '<name>',
        text: 'Secret with the discovery TLS certificate (generated once when missing)',
        env: 'TOLLGATE_TLS_SECRET',
        default: 'tollgate-controller-tls',
      },
      'ca-configmap': {
        arg: '<name>',
        text: 'ConfigMap the CA is published in for the proxies',
        env: 'TOLLGATE_CA_CONFIGMAP',
        default: 'tollgate-ca',
      },
      'service-name': {
        arg: '<name>',
        text: 'Service the generated certificate is issued for',
        env: 'TOLLGATE_SERVICE_NAME',
        default: 'tollgate-controller',
      },
      insecure: { text: 'no TLS and no TokenReview (local development only)', env: 'TOLLGATE_INSECURE=true' },
      'token-audience': {
        arg: '<aud>',
        text: "audience the proxies' ServiceAccount tokens must carry",
        env: 'TOLLGATE_TOKEN_AUDIENCE',
        default: 'tollgate-discovery',
      },
      'dataplane-accounts': {
        arg: '<ns/sa[=fleet|fleet],...>',
        text: 'ServiceAccounts allowed to stream, and which fleets',
        env: 'TOLLGATE_DATAPLANE_ACCOUNTS',
        default: '<namespace>/tollgate-dataplane',
      },
      'lease-name': {
        arg: '<name>',
        text: 'Lease whose holder writes status',
        env: 'TOLLGATE_LEASE_NAME',
        default: 'tollgate-controller',
      },
      'lease-duration': {
        arg: '<s>',
        text: 'Lease duration in seconds',
        env: 'TOLLGATE_LEASE_DURATION',
        default: '15',
      },
      'grace-period': SERVE['grace-period'] as FlagHelp,
      'log-level': SERVE['log-level'] as FlagHelp,
    },
  },
  validate: {
    summary: 'check manifests offline as the API server would; exit 1 on any error',
    usage: 'tollgate validate -f <file|dir|->...',
    flags: { file: FILE },
  },
  compile: {
    summary:
      'print the compiled config (secrets redacted); exit 1 on any error, as validate, unless --allow-errors',
    usage: 'tollgate compile -f <file|dir|->... [-o yaml|json] [--allow-errors]',
    flags: {
      file: FILE,
      output: { arg: '<yaml|json>', short: 'o', text: 'output format', default: 'yaml' },
      'allow-errors': { text: 'print the compiled config even when some objects have errors (exit 0)' },
    },
  },
};

const MAX_FLAG_WIDTH = 30;

const HELP_FLAG: FlagHelp = { short: 'h', text: 'show this help' };

export const USAGE = `tollgate — a Kubernetes-native gateway for LLM and agent traffic

Usage:
${COMMANDS.map((c) => `  ${HELP[c].usage}\n      ${HELP[c].summary}`).join('\n')}
  tollgate --version

Run 'tollgate <command> --help' for a command's flags.
`;

/** The help of one subcommand: usage, then one line per flag. */
export function commandHelp(command: Command): string {
  const { summary, usage, flags } = HELP[command];
  const rows = Object.entries({ ...flags, help: HELP_FLAG }).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.arg ? ` ${f.arg}` : ''}`;
    const extra = [f.env && `env ${f.env}`, f.default && `default ${f.default}`].filter(Boolean).join(', ');
    return [left, `${f.text}${extra ? ` (${extra})` : ''}`] as const;
  });
  // A flag too long for the column gets its text on the next line.
  const width = Math.min(MAX_FLAG_WIDTH, Math.max(...rows.map(([left]) => left.length)));
  return `tollgate ${command} — ${summary}

Usage: ${usage}

Flags${command === 'validate' || command === 'compile' ? '' : ' (a flag wins over its environment variable)'}:
${rows.map(([left, text]) => (left.length > width ? `  ${left}\n  ${' '.repeat(width)}  ${text}` : `  ${left.padEnd(width)}  ${text}`)).join('\n')}
`;
}

/** A usage error: one line and where to look, not the whole help. */
export function usageError(command: Command | undefined, message: string): string {
  return `tollgate${command ? ` ${command}` : ''}: ${message}\nsee 'tollgate${command ? ` ${command}` : ''} --help'\n`;
}
