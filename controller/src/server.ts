import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { serve, type ServerType } from '@hono/node-server';
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller, type ControllerLogger } from './controller/controller';
import type { DebounceOptions } from './controller/debounce';
import { DiscoveryServer } from './discovery/server';
import { startInformers } from './kube/informers';
import { PooledKubeConfig } from './kube/kubeconfig';
import { LeaderElector, type LeaseTiming } from './kube/lease';
import { ensureServingCert } from './kube/tls';
import { tokenReviewAuthorizer, type AccountRules } from './kube/tokenreview';
import { eventRecorder, replicaReports, statusWriter } from './kube/writers';
import { controllerMetrics, createControllerOps } from './ops';

// The entry `@tollgate/controller/server`: the controller process, and the parser of its
// --dataplane-accounts flag (kept off `@tollgate/controller`, which must not load the Kubernetes client).
export { parseAccountRules, type AccountRules } from './kube/tokenreview';

export interface ControllerServerOptions {
  /** A kubeconfig file; in-cluster (or $KUBECONFIG) when unset. */
  kubeconfig?: string;
  /** Watched namespaces; every namespace when empty. */
  namespaces: string[];
  /** The controller's own namespace: Lease, reports, TLS Secret and CA ConfigMap. */
  namespace: string;
  identity?: string;
  host: string;
  discoveryPort: number;
  opsPort: number;
  /** TLS on the discovery port (off only for local development). */
  tls: { secretName: string; configMapName: string; serviceName: string } | false;
  /** TokenReview of each proxy's projected token (off only for local development). */
  auth: { audience: string; accounts: AccountRules } | false;
  lease: { name: string } & LeaseTiming;
  logger: ControllerLogger;
  compileDebounce?: DebounceOptions;
}

export interface RunningController {
  controller: Controller;
  discoveryPort: number;
  opsPort: number;
  close(): Promise<void>;
}

function loadKubeConfig(file?: string): KubeConfig {
  const kc = new PooledKubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

/**
 * `tollgate controller`: informers → compile → discovery stream, status by the leader. Every
 * replica serves proxies; one writes status from all replicas' reports.
 */
export async function startController(o: ControllerServerOptions): Promise<RunningController> {
  const kc = loadKubeConfig(o.kubeconfig);
  const identity = o.identity ?? hostname();
  const metrics = controllerMetrics();
  const { logger } = o;
  let accepting = true;

  const reports = replicaReports(kc, o.namespace, o.lease.name, identity, o.lease.durationSeconds * 1000);
  // `elector` and `server` are declared below; these closures run only after both exist.
  const controller = new Controller({
    identity,
    logger,
    serve: (resources, fleets, version) => server.setResources(resources, fleets, version),
    isLeader: () => elector.isLeader,
    writeStatus: statusWriter(kc),
    warn: eventRecorder(kc, 'tollgate-controller', identity),
    peerReports: () => reports.peers(),
    publishReport: (r) => reports.publish(r),
    onCompiled: (ms, stats) => {
      metrics.compiles.observe(ms / 1000);
      for (const [kind, s] of Object.entries(stats)) {
        metrics.objects.inc({ kind, result: 'compiled' }, s.compiled);
        metrics.objects.inc({ kind, result: 'reused' }, s.reused);
      }
      metrics.notAccepted.reset();
      for (const s of controller.current.statuses) {
        if (s.conditions.some((c) => c.type === 'Accepted' && c.status === 'False'))
          metrics.notAccepted.inc({
            kind: s.kind,
            served: s.servedGeneration === undefined ? 'none' : 'previous',
          });
      }
    },
    ...(o.compileDebounce ? { compileDebounce: o.compileDebounce } : {}),
  });
  const hooks = controller.hooks;
  const server = new DiscoveryServer({
    ready: () => controller.ready && accepting,
    ...(o.auth ? { authorize: tokenReviewAuthorizer(kc, o.auth.audience, o.auth.accounts) } : {}),
    onOpen: (s) => {
      metrics.proxies.inc();
      logger.info({ node: s.node.id, fleet: s.fleet }, 'proxy connected');
      hooks.onOpen(s);
    },
    onClose: (s) => {
      metrics.proxies.dec();
      logger.info({ node: s.node.id, fleet: s.fleet }, 'proxy disconnected');
      hooks.onClose(s);
    },
    onAck: hooks.onAck,
    onNack: (r) => {
      metrics.nacks.inc(r.resources.length);
      hooks.onNack(r);
    },
  });

  let credentials = grpc.ServerCredentials.createInsecure();
  if (o.tls) {
    const pem = await ensureServingCert(kc, { namespace: o.namespace, ...o.tls });
    logger.info(
      { secret: `${o.namespace}/${o.tls.secretName}`, generated: pem.generated },
      'discovery TLS ready',
    );
    credentials = grpc.ServerCredentials.createSsl(
      null,
      [{ private_key: Buffer.from(pem['tls.key']), cert_chain: Buffer.from(pem['tls.crt']) }],
      false,
    );
  }
  const discoveryPort = await server.listen(`${o.host}:${o.discoveryPort}`, credentials);

  const ops = createControllerOps(controller, metrics, () => accepting);
  const { server: opsServer, port: opsPort } = await listen(ops.fetch, o.host, o.opsPort);

  const informers = startInformers(kc, o.namespaces, {
    upsert: (obj) => controller.upsert(obj),
    remove: (obj) => controller.remove(obj),
    error: (kind, err, retryInMs) =>
      logger.warn({ kind, err: String(err), retryInMs }, 'watch failed; retrying'),
  });
  const elector = new LeaderElector(
    kc,
    o.namespace,
    o.lease.name,
    identity,
    o.lease,
    (leading) => {
      metrics.leader.set(leading ? 1 : 0);
      logger.info({ identity }, leading ? 'leading: writing status' : 'following');
      controller.refreshStatus();
    },
    (err) => logger.warn({ err: String(err) }, 'lease error'),
  );
  const periodic = setInterval(() => {
    void reports.publish(controller.localReport()).catch(() => undefined);
    if (elector.isLeader) controller.refreshStatus();
  }, o.lease.renewMs);
  periodic.unref();

  void informers.synced.then(async () => {
    await controller.markSynced();
    logger.info({ namespaces: o.namespaces.length > 0 ? o.namespaces : 'all' }, 'informers synced; serving');
    elector.start();
  });
  logger.info({ discoveryPort, opsPort, identity }, 'controller listening');

  return {
    controller,
    discoveryPort,
    opsPort,
    async close() {
      accepting = false;
      clearInterval(periodic);
      controller.stop();
      await elector.stop();
      await reports.remove();
      await informers.stop();
      await server.close();
      await new Promise<void>((r) => opsServer.close(() => r()));
    },
  };
}

function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, (info) => resolve({ server, port: info.port }));
    server.once('error', reject);
  });
}
