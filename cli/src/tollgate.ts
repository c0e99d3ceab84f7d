#!/usr/bin/env node
// First, before any other module loads (see the file).
import { notServing, startServing } from './start-v8';
import type { ConfigStore, DataplaneOptions, Logger } from '@tollgate/dataplane';
import type { DiscoveryClient } from '@tollgate/dataplane/discovery/client';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseDataplaneFlags,
  parseFileFlags,
  parseRunFlags,
  UsageError,
  type DataplaneFlags,
  type RunFlags,
  type ServeFlags,
} from './args';
import { listeningBanner } from './banner';
import { parseControllerFlags } from './controller-args';
import { commandHelp, isCommand, usageError, USAGE, type Command } from './help';
import { ManifestLoadError } from './manifest-error';
import type { BuiltConfig } from './standalone';
import { uncapYoungGeneration } from './young-generation';

/*
 * Each command loads what it uses when it runs (dynamic imports below): `run` neither the
 * discovery client (gRPC) nor the Kubernetes client, `dataplane` not the compile (controller/,
 * yaml, the CRD schemas), `validate` and `compile` not the proxy. cli/src/lazy-load.test.ts
 * checks it.
 */

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
  if (command === '--version' || command === 'version') {
    io.out(`tollgate ${packageVersion()}\n`);
    return 0;
  }
  if (command === undefined) {
    io.err(USAGE);
    return 2;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    io.out(isCommand(rest[0]) ? commandHelp(rest[0]) : USAGE);
    return 0;
  }
  if (!isCommand(command)) {
    io.err(usageError(undefined, `unknown command '${command}'`));
    return 2;
  }
  if (wantsHelp(rest)) {
    io.out(commandHelp(command));
    return 0;
  }
  // Only the serving commands keep start-v8's settings.
  if (command !== 'run' && command !== 'dataplane') notServing();
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
    }
  } catch (err) {
    return reportError(command, err, io);
  }
}

/** `--help` or `-h` anywhere before a `--`. */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

function reportError(command: Command, err: unknown, io: IO): number {
  if (err instanceof ManifestLoadError) {
    for (const note of err.notes) io.err(`note: ${note}\n`);
    io.err(`tollgate: ${err.message}\n`);
    return 1;
  }
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    // Node's parser adds advice about positionals after the first sentence: one line is enough.
    io.err(usageError(command, (err as Error).message.split(/\. (?=[A-Z])/)[0] ?? ''));
    return 2;
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    const ports = command === 'controller' ? '--discovery-port / --ops-port' : '--port / --ops-port';
    io.err(
      `tollgate ${command}: ${(err as Error).message}\n` +
        `hint: another process (another tollgate?) listens there; stop it or choose free ports with ${ports}\n`,
    );
    return 1;
  }
  io.err(`tollgate: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

/** The version in the package.json above this file, from the sources or from dist/ alike. */
export function packageVersion(): string {
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tollgate') return pkg.version ?? 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
    dir = path.dirname(dir);
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseRunFlags(argv, env);
  // Held through the warm-up too, which runs after listening (signals are answered meanwhile).
  const { logger, resources, port, close } = await startServing(
    flags,
    (collectGarbage) => startRun(flags, collectGarbage),
    (started) => started.warmedUp(),
  );
  logger.info(listeningBanner(resources, flags.host, port));
  return untilSignal(logger, close, flags.gracePeriodMs);
}

/** `tollgate run`: one process, or a primary and its `--workers`. */
async function startRun(flags: RunFlags, collectGarbage: () => void) {
  const { createLogger } = await import('@tollgate/dataplane');
  const logger = createLogger({ level: flags.logLevel });
  if (flags.workers > 1) {
    const { startStandaloneCluster } = await import('./cluster/serve');
    const cluster = await startStandaloneCluster(flags, logger);
    const resources = [...cluster.store.current.resources.values()];
    return {
      logger,
      resources,
      port: cluster.port,
      close: () => cluster.close(flags.gracePeriodMs),
      // Each worker warms up before it reports listening.
      warmedUp: () => Promise.resolve(),
    };
  }
  const { startStandalone } = await import('./standalone');
  const standalone = await startStandalone({
    ...dataplaneOptions(flags, logger, collectGarbage),
    paths: flags.files,
    fleet: flags.fleet,
    watch: flags.watch,
  });
  const { store, port } = standalone.dataplane;
  const resources = [...store.current.resources.values()];
  return {
    logger,
    resources,
    port,
    close: () => standalone.close(flags.gracePeriodMs),
    warmedUp: () => standalone.dataplane.warmedUp(),
  };
}

async function dataplane(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseDataplaneFlags(argv, env);
  const { logger, plane, client } = await startServing(flags, (collectGarbage) =>
    startDataplaneCommand(flags, collectGarbage),
  );
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

/** `tollgate dataplane`: the proxy (or a primary and its `--workers`) and its discovery client. */
async function startDataplaneCommand(flags: DataplaneFlags, collectGarbage: () => void) {
  const { createLogger, startDataplane } = await import('@tollgate/dataplane');
  const logger = createLogger({ level: flags.logLevel });
  // --workers: the primary holds the one discovery stream; its workers apply what it accepted.
  const plane =
    flags.workers > 1
      ? await (await import('./cluster/serve')).startDataplaneCluster(flags, logger)
      : await startDataplane(dataplaneOptions(flags, logger, collectGarbage));
  return { logger, plane, client: await discoveryClient(flags, plane.store, logger) };
}

/** The discovery stream of `tollgate dataplane`, feeding `store`. */
async function discoveryClient(
  flags: DataplaneFlags,
  store: ConfigStore,
  logger: Logger,
): Promise<DiscoveryClient> {
  const { DiscoveryClient } = await import('@tollgate/dataplane/discovery/client');
  const grpc = await import('@grpc/grpc-js');
  const { discoveryCa, tokenFile } = flags;
  return new DiscoveryClient({
    address: flags.discovery,
    node: { id: flags.nodeId, cluster: flags.fleet, user_agent_name: 'tollgate' },
    store,
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
}

/** What `run` and `dataplane` pass to the proxy alike. */
function dataplaneOptions(flags: ServeFlags, logger: Logger, collectGarbage: () => void): DataplaneOptions {
  return {
    host: flags.host,
    port: flags.port,
    opsPort: flags.opsPort,
    logger,
    redisUrl: flags.redisUrl,
    http: { maxConnections: flags.maxConnections },
    ...(flags.opsToken ? { opsToken: flags.opsToken } : {}),
    ...(flags.opsUrl ? { opsUrl: flags.opsUrl } : {}),
    warmup: flags.warmup,
    collectGarbage,
  };
}

async function controller(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseControllerFlags(argv, env);
  const { createLogger } = await import('@tollgate/dataplane');
  const logger = createLogger({ level: flags.logLevel });
  // Loaded here, not at the top: the Kubernetes client is only needed by this command.
  const { startController, parseAccountRules } = await import('@tollgate/controller/server');
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
      void stop().then(() => {
        uncapYoungGeneration();
        resolve(0);
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}

/** Prints every condition that is not True, one line each, to stderr; returns how many. */
function reportProblems(statuses: BuiltConfig['statuses'], io: IO): number {
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
  const { buildConfig } = await import('./standalone');
  const result = await buildConfig(files);
  noteSkipped(result, io);
  if (reportProblems(result.statuses, io) > 0) return 1;
  io.out(`ok: ${result.statuses.length} objects valid, ${result.resources.length} resources compiled\n`);
  return 0;
}

async function compileCommand(argv: string[], io: IO): Promise<number> {
  const { files, output, allowErrors } = parseFileFlags(argv, 'compile');
  const { buildConfig } = await import('./standalone');
  const result = await buildConfig(files);
  noteSkipped(result, io);
  const problems = reportProblems(result.statuses, io);
  if (problems > 0 && !allowErrors) {
    io.err(`tollgate: ${problems} problem(s); pass --allow-errors to print the compiled config anyway\n`);
    return 1;
  }
  const { redactResource } = await import('@tollgate/protocol');
  const view = {
    resources: result.resources.map(redactResource),
    fleets: result.fleets,
    statuses: result.statuses,
  };
  io.out(output === 'json' ? `${JSON.stringify(view, null, 2)}\n` : (await import('yaml')).stringify(view));
  return 0;
}

/** Documents of other APIs left out of `-f`: said on stderr, so stdout stays the command's output. */
function noteSkipped(result: BuiltConfig, io: IO): void {
  for (const note of result.skipped) io.err(`note: ${note}\n`);
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
