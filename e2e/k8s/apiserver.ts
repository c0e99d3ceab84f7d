import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../process';

/**
 * A real Kubernetes API server for tests, started the way controller-runtime's envtest does:
 * etcd plus kube-apiserver with RBAC on, a static admin token, and service-account signing keys
 * so TokenReview and Leases are real. Each test file gets a fresh cluster of its own.
 *
 * With `USE_EXISTING_CLUSTER=true` (as envtest spells it) the cluster of `$KUBECONFIG` is used
 * instead: each test file then works in namespaces of its own, named with a random suffix, which
 * are deleted when it stops; the CRDs it applies stay installed.
 */
export interface TestCluster {
  url: string;
  /** Bearer token of a system:masters user; an existing cluster's user may have none. */
  token: string | undefined;
  /** Its current context's namespace is `namespace`. */
  kubeconfig: string;
  /** Where objects go that name no namespace: `default`, or a fresh one on an existing cluster. */
  namespace: string;
  /** A namespace name for this test file: `base` itself, or `base-{suffix}` on an existing cluster. */
  ns(base: string): string;
  /** Runs kubectl against this cluster (stdin from `input`). */
  kubectl(args: string[], input?: string): KubectlResult;
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number | null;
  out: string;
  err: string;
}

export function kubectlFor(kubeconfig: string) {
  return (args: string[], input?: string): KubectlResult => {
    const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}

export function apiServerBinary(): string {
  const fromEnv = process.env.TOLLGATE_KUBE_APISERVER;
  if (fromEnv) return fromEnv;
  const built = spawnSync('bash', [path.join(ROOT, 'e2e/k8s/build-apiserver.sh')], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  if (built.status !== 0) throw new Error(`building kube-apiserver failed:\n${built.stderr}`);
  return built.stdout.trim().split('\n').pop() ?? '';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * etcd on free ports, healthy before the API server dials it. A port can be taken between
 * freePort() and etcd binding it (test files start clusters side by side), so a start that dies or
 * never gets healthy is tried again on fresh ports. Returns the client port.
 */
async function startEtcd(dir: string, children: ChildProcess[]): Promise<number> {
  const etcdBin = process.env.TOLLGATE_ETCD ?? '/usr/bin/etcd';
  if (!existsSync(etcdBin)) throw new Error(`etcd not found at ${etcdBin} (apt-get install etcd-server)`);
  let log = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [client, peer] = [await freePort(), await freePort()];
    const etcd = spawn(
      etcdBin,
      [
        '--data-dir',
        path.join(dir, `etcd-${attempt}`),
        '--listen-client-urls',
        `http://127.0.0.1:${client}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${client}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${peer}`,
        '--unsafe-no-fsync',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(etcd);
    log = '';
    etcd.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-8000);
    });
    const deadline = Date.now() + 20_000;
    while (etcd.exitCode === null && Date.now() < deadline) {
      const healthy = await fetch(`http://127.0.0.1:${client}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (healthy) return client;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (etcd.exitCode === null) etcd.kill('SIGKILL');
  }
  throw new Error(`etcd did not get healthy in 3 tries:\n${log}`);
}

/**
 * A cluster for one test file. `own: true` always starts one: for tests that install cluster-wide
 * objects under fixed names (a Helm release's RBAC), which must not land in a shared cluster.
 */
export async function startTestCluster(options: { own?: boolean } = {}): Promise<TestCluster> {
  if (!options.own && process.env.USE_EXISTING_CLUSTER === 'true') return existingCluster();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-k8s-'));
  const securePort = await freePort();
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode === null) {
        c.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            c.kill('SIGKILL');
            r(undefined);
          }, 5000);
          c.once('exit', () => {
            clearTimeout(t);
            r(undefined);
          });
        });
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const etcdClient = await startEtcd(dir, children);

    const token = randomBytes(24).toString('hex');
    await writeFile(path.join(dir, 'tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));

    const url = `https://127.0.0.1:${securePort}`;
    const apiserver = spawn(
      apiServerBinary(),
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        `--secure-port=${securePort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--cert-dir=${path.join(dir, 'certs')}`,
        `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        `--service-account-issuer=${url}`,
        `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        '--enable-priority-and-fairness=false',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(apiserver);
    const log: string[] = [];
    apiserver.stderr?.on('data', (d: Buffer) => {
      log.push(d.toString());
      if (log.length > 200) log.shift();
    });

    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: test, cluster: {server: "' + url + '", insecure-skip-tls-verify: true}}]',
        'users: [{name: admin, user: {token: "' + token + '"}}]',
        'contexts: [{name: test, context: {cluster: test, user: admin, namespace: default}}]',
        'current-context: test',
        '',
      ].join('\n'),
    );

    const deadline = Date.now() + 60_000;
    for (;;) {
      if (apiserver.exitCode !== null) throw new Error(`kube-apiserver exited:\n${log.join('')}`);
      const ready = await fetch(`${url}/readyz`, {
        headers: { authorization: `Bearer ${token}` },
        // the serving certificate is self-signed by the test server
        dispatcher: insecureDispatcher(),
      } as RequestInit).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready in 60 s:\n${log.join('')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return {
      url,
      token,
      kubeconfig,
      namespace: 'default',
      ns: (base) => base,
      kubectl: kubectlFor(kubeconfig),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface KubeconfigJson {
  clusters: { cluster: { server: string } }[];
  contexts: { context: { namespace?: string } }[];
  users: { user: { token?: string } }[];
}

/** `$KUBECONFIG`'s cluster, seen through a copy of its config whose namespace is a fresh one. */
async function existingCluster(): Promise<TestCluster> {
  const source = process.env.KUBECONFIG?.split(path.delimiter)[0] || path.join(os.homedir(), '.kube/config');
  const base = kubectlFor(source);
  const ready = base(['get', '--raw', '/readyz']);
  if (ready.code !== 0)
    throw new Error(`USE_EXISTING_CLUSTER: ${source} gives no ready cluster: ${ready.err}`);
  const view = base(['config', 'view', '--raw', '--minify', '--flatten', '-o', 'json']);
  if (view.code !== 0) throw new Error(`USE_EXISTING_CLUSTER: ${source}: ${view.err}`);
  const config = JSON.parse(view.out) as KubeconfigJson;
  const suffix = randomBytes(3).toString('hex');
  const namespace = `tollgate-e2e-${suffix}`;
  for (const c of config.contexts) c.context.namespace = namespace;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-k8s-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, JSON.stringify(config), { mode: 0o600 });
  const kubectl = kubectlFor(kubeconfig);
  const created = [namespace];
  const made = kubectl(['create', 'namespace', namespace]);
  if (made.code !== 0) throw new Error(`USE_EXISTING_CLUSTER: namespace ${namespace}: ${made.err}`);
  return {
    url: config.clusters[0]?.cluster.server ?? '',
    token: config.users[0]?.user.token,
    kubeconfig,
    namespace,
    ns: (name) => {
      const n = `${name}-${suffix}`;
      created.push(n);
      return n;
    },
    kubectl,
    stop: async () => {
      // Not waited for: a namespace's objects are removed by the cluster's controllers, at their pace.
      for (const n of created) kubectl(['delete', 'namespace', n, '--ignore-not-found', '--wait=false']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let insecure: unknown;
function insecureDispatcher(): unknown {
  if (!insecure) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Agent } = require('undici') as typeof import('undici');
    insecure = new Agent({ connect: { rejectUnauthorized: false } });
  }
  return insecure;
}
