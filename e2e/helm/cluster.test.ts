import { startTestCluster, type TestCluster } from '../k8s/apiserver';
import { ALL_ON_VALUES, CHART, helm, parseObjects, renderText, toYamlStream, type K8sObject } from './chart';

/**
 * The chart against a real kube-apiserver (etcd + kube-apiserver with RBAC, see e2e/k8s/apiserver.ts):
 * the rendered objects are accepted by the server's own validation, `helm install` works, and the
 * RBAC it creates lets the controller do its job — and the proxies nothing at all.
 */
let cluster: TestCluster;

const kubectl = (args: string[], input?: string) => cluster.kubectl(args, input);

const NS = 'tollgate-system';
const CONTROLLER = `system:serviceaccount:${NS}:tollgate-controller`;
const DATAPLANE = `system:serviceaccount:${NS}:tollgate-dataplane`;

beforeAll(async () => {
  // Always its own: a release installs cluster-wide RBAC and CRDs under fixed names.
  cluster = await startTestCluster({ own: true });
}, 20 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** CRDs first (server-side, as Argo CD and `kubectl apply --server-side -f crds/` do), then the rest. */
function dryRun(objects: K8sObject[]) {
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const rest = objects.filter((o) => o.kind !== 'CustomResourceDefinition');
  expect(crds).toHaveLength(4);
  const first = kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], toYamlStream(crds));
  expect(first.err).toBe('');
  expect(first.code).toBe(0);
  const second = kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], toYamlStream(rest));
  expect(second.err).toBe('');
  expect(second.code).toBe(0);
  // one line per object: "<kind>/<name> created (server dry run)"
  expect(second.out.trim().split('\n')).toHaveLength(rest.length);
  expect(second.out).not.toMatch(/unchanged|configured/);
}

describe('the rendered chart on a real API server', () => {
  it('is accepted with the default values (CRDs first, then the rest)', () => {
    expect(kubectl(['create', 'namespace', NS]).code).toBe(0);
    dryRun(parseObjects(renderText({ includeCrds: true })));
  });

  it('is accepted with every option on (the ServiceMonitor aside: its CRD is not installed here)', () => {
    for (const ns of ['tg-system', 'team-a', 'team-b'])
      expect(kubectl(['create', 'namespace', ns]).code).toBe(0);
    const objects = parseObjects(
      renderText({ release: 'tg', namespace: 'tg-system', valuesFiles: [ALL_ON_VALUES], includeCrds: true }),
    );
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(1);
    expect(kubectl(['api-resources', '--api-group=monitoring.coreos.com', '-o', 'name']).out.trim()).toBe('');
    dryRun(objects.filter((o) => o.kind !== 'ServiceMonitor'));
  });

  it('installs with helm install, CRDs included, which become Established', () => {
    const r = helm([
      'install',
      'tollgate',
      CHART,
      '--namespace',
      NS,
      '--kubeconfig',
      cluster.kubeconfig,
      '--wait=false',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('STATUS: deployed');
    expect(r.out).toContain('serving discovery on tollgate-controller.tollgate-system.svc:9977');
    const established = kubectl([
      'wait',
      '--for=condition=Established',
      'crd/gateways.tollgate.dev',
      'crd/registries.tollgate.dev',
      'crd/consumers.tollgate.dev',
      'crd/policies.tollgate.dev',
      '--timeout=60s',
    ]);
    expect(established.code).toBe(0);
    const names = kubectl(['get', 'deploy,svc,sa,pdb,role,rolebinding', '-n', NS, '-o', 'name']).out;
    for (const n of [
      'deployment.apps/tollgate-controller',
      'deployment.apps/tollgate-dataplane',
      'service/tollgate-controller',
      'service/tollgate-dataplane',
      'serviceaccount/tollgate-controller',
      'serviceaccount/tollgate-dataplane',
      'poddisruptionbudget.policy/tollgate-controller',
      'role.rbac.authorization.k8s.io/tollgate-controller-self',
    ])
      expect(names).toContain(n);
  });

  it("gives the controller what it needs, and nothing it doesn't", () => {
    const can = (as: string, ...args: string[]) => {
      const r = kubectl(['auth', 'can-i', '--as', as, ...args]);
      return r.out.trim();
    };
    const yes: string[][] = [
      ['list', 'gateways.tollgate.dev', '--all-namespaces'],
      ['watch', 'policies.tollgate.dev', '-n', 'anywhere'],
      ['patch', 'consumers.tollgate.dev', '--subresource=status', '-n', 'team-a'],
      ['get', 'registries.tollgate.dev', '--subresource=status', '-n', 'team-a'],
      ['watch', 'secrets', '--all-namespaces'],
      ['create', 'events', '-n', 'team-b'],
      ['create', 'tokenreviews.authentication.k8s.io'],
      ['update', 'secrets', '-n', NS],
      ['create', 'configmaps', '-n', NS],
      ['update', 'leases.coordination.k8s.io', '-n', NS],
    ];
    const no: string[][] = [
      ['update', 'gateways.tollgate.dev', '-n', 'team-a'],
      ['patch', 'consumers.tollgate.dev', '-n', 'team-a'],
      ['delete', 'secrets', '-n', NS],
      ['create', 'secrets', '-n', 'team-a'],
      ['update', 'configmaps', '-n', 'team-a'],
      ['create', 'leases.coordination.k8s.io', '-n', 'default'],
      ['list', 'pods', '--all-namespaces'],
      ['create', 'subjectaccessreviews.authorization.k8s.io'],
    ];
    for (const args of yes)
      expect([args.join(' '), can(CONTROLLER, ...args)]).toEqual([args.join(' '), 'yes']);
    for (const args of no) expect([args.join(' '), can(CONTROLLER, ...args)]).toEqual([args.join(' '), 'no']);
  });

  it('gives the proxies exactly the rights of a ServiceAccount nobody bound anything to', () => {
    expect(kubectl(['create', 'serviceaccount', 'nobody', '-n', NS]).code).toBe(0);
    const list = (as: string) => {
      const r = kubectl(['auth', 'can-i', '--list', '--as', as, '-n', NS]);
      expect(r.code).toBe(0);
      return r.out;
    };
    const proxy = list(DATAPLANE);
    expect(proxy).toBe(list(`system:serviceaccount:${NS}:nobody`));
    expect(proxy).not.toMatch(/tollgate\.dev|secrets|tokenreviews|configmaps/);
    expect(list(CONTROLLER)).toMatch(/tokenreviews\.authentication\.k8s\.io/);
  });

  it('lets the controller check a proxy token for its audience, and only for that audience', () => {
    const review = (token: string) => {
      const r = kubectl(
        ['create', '--validate=false', '--as', CONTROLLER, '-o', 'json', '-f', '-'],
        JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, audiences: ['tollgate-discovery'] },
        }),
      );
      expect(r.err).toBe('');
      return (JSON.parse(r.out) as { status: { authenticated?: boolean; user?: { username: string } } })
        .status;
    };
    // the token the kubelet projects into the proxy pods: audience and lifetime from the chart
    const pod = JSON.parse(kubectl(['get', 'deploy', 'tollgate-dataplane', '-n', NS, '-o', 'json']).out) as {
      spec: {
        template: {
          spec: {
            volumes: {
              projected?: {
                sources: { serviceAccountToken?: { audience: string; expirationSeconds: number } }[];
              };
            }[];
          };
        };
      };
    };
    const projected = pod.spec.template.spec.volumes.flatMap((v) => v.projected?.sources ?? [])[0]
      ?.serviceAccountToken;
    expect(projected?.audience).toBe('tollgate-discovery');
    const token = (audience: string) =>
      kubectl([
        'create',
        'token',
        'tollgate-dataplane',
        '-n',
        NS,
        '--audience',
        audience,
        '--duration',
        `${projected?.expirationSeconds ?? 0}s`,
      ]).out.trim();

    const good = review(token(projected?.audience ?? ''));
    expect(good.authenticated).toBe(true);
    expect(good.user?.username).toBe(DATAPLANE);
    expect(review(token('some-other-audience')).authenticated).toBeFalsy();

    const denied = kubectl(
      ['create', '--validate=false', '--as', DATAPLANE, '-f', '-'],
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'x' } }),
    );
    expect(denied.code).not.toBe(0);
    expect(denied.err).toContain('forbidden');
  });
});
