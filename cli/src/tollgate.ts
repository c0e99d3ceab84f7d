#!/usr/bin/env node
import { stringify } from 'yaml';
import { redactResource } from '../../protocol/src';
import { createLogger, startDataplane, type DataplaneOptions, type Logger } from '../../dataplane/src';
import { DiscoveryClient } from '../../dataplane/src/discovery/client';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { parseDataplaneFlags, parseFileFlags, parseRunFlags, UsageError, type ServeFlags } from './args';
import { parseControllerFlags } from './controller-args';
import { buildConfig, ManifestLoadError, startStandalone } from './standalone';

const USAGE = `tollgate — a Kubernetes-native gateway for LLM and agent traffic

Usage:
  tollgate run -f <file|dir>... [flags]    serve the manifests (standalone mode), reloading on change
  tollgate controller [flags]              watch the Kubernetes API, stream config to proxies, write status
  tollgate dataplane --discovery <host:port> [flags]
                                           serve config streamed by the controller
  tollgate validate -f <file|dir>...       check manifests offline; exit 1 on any error
  tollgate compile -f <file|dir>... [-o yaml|json] [--allow-errors]
                                           print the compiled config (secrets redacted); exit 1
                                           on any error, as validate, unless --allow-errors

Flags of run (each also read from the environment variable named):
  --host <addr>          listen address              TOLLGATE_HOST          (127.0.0.1)
  --port <n>             proxy port                  TOLLGATE_PORT          (8081)
  --ops-port <n>         health/metrics/config port  TOLLGATE_OPS_PORT      (9091)
  --fleet <name>         serve only this fleet       TOLLGATE_FLEET         (all)
  --grace-period <s>     shutdown grace in seconds   TOLLGATE_GRACE_PERIOD  (10)
  --log-level <level>    pino level                  TOLLGATE_LOG_LEVEL     (info)
  --redis-url <url>      shared limits and budgets   TOLLGATE_REDIS_URL     (in-process)
  --max-connections <n>  open proxy connections cap  TOLLGATE_MAX_CONNECTIONS (10000)
  --no-watch             do not reload on file changes

Flags of dataplane (besides --host, --port, --ops-port, --grace-period, --log-level, --max-connections):
  --discovery <host:port>  controller discovery address  TOLLGATE_DISCOVERY     (required)
  --fleet <name>           the fleet this proxy serves   TOLLGATE_FLEET         (default)
  --node-id <id>           this proxy's id               TOLLGATE_NODE_ID       ($HOSTNAME)
  --redis-url <url>        shared limits and budgets     TOLLGATE_REDIS_URL     (in-process)
  --discovery-ca <file>    CA of the controller's cert   TOLLGATE_DISCOVERY_CA  (plaintext if unset)
  --token-file <file>      projected SA token to send    TOLLGATE_TOKEN_FILE

Flags of controller (see README "Install on Kubernetes"):
  --kubeconfig, --namespaces, --namespace, --discovery-port (9977), --ops-port (9091),
  --tls-secret, --ca-configmap, --service-name, --token-audience, --dataplane-accounts,
  --lease-name, --lease-duration, --insecure, --grace-period, --log-level
`;

export interface IO {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: IO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

export async function main(argv: string[], io: IO = stdio, env = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await run(rest, env);
      case 'dataplane':
        return await dataplane(rest, env);
      case 'controller':
        return await controller(rest, env);
      case 'validate':
        return await validate(rest, io);
      case 'compile':
        return await compileCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`tollgate: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ManifestLoadError) {
      io.err(`tollgate: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`tollgate: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`tollgate: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseRunFlags(argv, env);
  const logger = createLogger({ level: flags.logLevel });
  const standalone = await startStandalone({
    ...dataplaneOptions(flags, logger),
    paths: flags.files,
    fleet: flags.fleet,
    watch: flags.watch,
  });
  return untilSignal(logger, () => standalone.close(flags.gracePeriodMs), flags.gracePeriodMs);
}

async function dataplane(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseDataplaneFlags(argv, env);
  const logger = createLogger({ level: flags.logLevel });
  const plane = await startDataplane(dataplaneOptions(flags, logger));
  const { discoveryCa, tokenFile } = flags;
  const client = new DiscoveryClient({
    address: flags.discovery,
    node: { id: flags.nodeId, cluster: flags.fleet, user_agent_name: 'tollgate' },
    store: plane.store,
    logger,
    ...(discoveryCa ? { credentials: grpc.credentials.createSsl(readFileSync(discoveryCa)) } : {}),
    // Re-read on every connect: the kubelet rotates projected tokens in place.
    ...(tokenFile
      ? {
          metadata: () => {
            const m = new grpc.Metadata();
            m.set('authorization', `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`);
            return m;
          },
        }
      : {}),
  });
  client.start();
  return untilSignal(
    logger,
    async () => {
      client.stop();
      await plane.close(flags.gracePeriodMs);
    },
    flags.gracePeriodMs,
  );
}

/** What `run` and `dataplane` pass to the proxy alike. */
function dataplaneOptions(flags: ServeFlags, logger: Logger): DataplaneOptions {
  return {
    host: flags.host,
    port: flags.port,
    opsPort: flags.opsPort,
    logger,
    redisUrl: flags.redisUrl,
    http: { maxConnections: flags.maxConnections },
  };
}

async function controller(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseControllerFlags(argv, env);
  const logger = createLogger({ level: flags.logLevel });
  // Loaded here, not at the top: the Kubernetes client is only needed by this command.
  const { startController } = await import('../../controller/src/server');
  const { parseAccountRules } = await import('../../controller/src/kube/tokenreview');
  const running = await startController({
    kubeconfig: flags.kubeconfig,
    namespaces: flags.namespaces,
    namespace: flags.namespace,
    identity: flags.identity,
    host: flags.host,
    discoveryPort: flags.discoveryPort,
    opsPort: flags.opsPort,
    tls: flags.insecure
      ? false
      : { secretName: flags.tlsSecret, configMapName: flags.caConfigMap, serviceName: flags.serviceName },
    auth: flags.insecure
      ? false
      : { audience: flags.tokenAudience, accounts: parseAccountRules(flags.dataplaneAccounts) },
    lease: {
      name: flags.leaseName,
      durationSeconds: flags.leaseDurationSeconds,
      renewMs: flags.leaseRenewMs,
    },
    logger,
  });
  return untilSignal(logger, () => running.close(), flags.gracePeriodMs);
}

/** Waits for SIGTERM/SIGINT, then runs `stop` (readiness drops first inside it) and resolves 0. */
function untilSignal(logger: Logger, stop: () => Promise<void>, graceMs: number): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      logger.info({ signal, graceMs }, 'shutting down');
      void stop().then(() => resolve(0));
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}

/** Prints every condition that is not True, one line each, to stderr; returns how many. */
function reportProblems(statuses: Awaited<ReturnType<typeof buildConfig>>['statuses'], io: IO): number {
  let failed = 0;
  for (const s of statuses) {
    for (const c of s.conditions) {
      if (c.status === 'True') continue;
      failed++;
      io.err(`${s.kind} ${s.namespace}/${s.name}: ${c.type}=${c.status} (${c.reason}): ${c.message}\n`);
    }
  }
  return failed;
}

async function validate(argv: string[], io: IO): Promise<number> {
  const { files } = parseFileFlags(argv);
  const result = await buildConfig(files);
  if (reportProblems(result.statuses, io) > 0) return 1;
  io.out(`ok: ${result.statuses.length} objects valid, ${result.resources.length} resources compiled\n`);
  return 0;
}

async function compileCommand(argv: string[], io: IO): Promise<number> {
  const { files, output, allowErrors } = parseFileFlags(argv, 'compile');
  const result = await buildConfig(files);
  const problems = reportProblems(result.statuses, io);
  if (problems > 0 && !allowErrors) {
    io.err(`tollgate: ${problems} problem(s); pass --allow-errors to print the compiled config anyway\n`);
    return 1;
  }
  const view = {
    resources: result.resources.map(redactResource),
    fleets: result.fleets,
    statuses: result.statuses,
  };
  io.out(output === 'json' ? `${JSON.stringify(view, null, 2)}\n` : stringify(view));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`tollgate: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
