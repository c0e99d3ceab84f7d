import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMap, isScalar, parse, parseDocument, type Node, type YAMLMap } from 'yaml';
import {
  ALL_ON_VALUES,
  CHART,
  ROOT,
  find,
  helm,
  parseObjects,
  render,
  renderText,
  templateArgs,
  type K8sObject,
} from './chart';

/**
 * The Helm chart, rendered by the real helm CLI: lint, values schema, and the properties the
 * controller and the proxies rely on (RBAC, tokens, ports, names, security), for the default values
 * and for a values file that turns every option on.
 */

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number; protocol?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  configMap?: { name: string; items?: { key: string; path: string }[] };
  projected?: {
    sources: { serviceAccountToken?: { audience: string; expirationSeconds: number; path: string } }[];
  };
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}
interface Deployment extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface ServicePort {
  name: string;
  port: number;
  targetPort: string | number;
  appProtocol?: string;
}
interface Service extends K8sObject {
  spec: { type: string; selector: Record<string, string>; ports: ServicePort[] };
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface Binding extends K8sObject {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

const deployment = (objects: K8sObject[], name: string) => find(objects, 'Deployment', name) as Deployment;
const service = (objects: K8sObject[], name: string) => find(objects, 'Service', name) as Service;
const container = (d: Deployment) => d.spec.template.spec.containers[0] as Container;

function env(c: Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}
function requireEnv(c: Container, name: string): string {
  const v = env(c, name);
  if (v === undefined) throw new Error(`container ${c.name} has no env ${name}`);
  return v;
}
function portNumber(c: Container, port: string | number): number {
  if (typeof port === 'number') return port;
  const found = c.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`container ${c.name} has no port named ${port}`);
  return found.containerPort;
}

/**
 * What a ServiceAccount may do, as the RBAC authorizer would read the rendered bindings:
 * "<namespace or *> <group>/<resource> <verb>".
 */
function grants(objects: K8sObject[], account: string, namespace: string): string[] {
  const out = new Set<string>();
  for (const b of objects as Binding[]) {
    if (b.kind !== 'ClusterRoleBinding' && b.kind !== 'RoleBinding') continue;
    if (
      !b.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === account && s.namespace === namespace)
    )
      continue;
    const role = find(objects, b.roleRef.kind, b.roleRef.name) as K8sObject & { rules: Rule[] };
    const scope = b.kind === 'ClusterRoleBinding' ? '*' : (b.metadata.namespace ?? '?');
    for (const rule of role.rules) {
      expect(rule.resourceNames).toBeUndefined();
      expect(rule.nonResourceURLs).toBeUndefined();
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs) out.add(`${scope} ${group || 'core'}/${resource} ${verb}`);
    }
  }
  return [...out].sort();
}

const KINDS = ['gateways', 'registries', 'consumers', 'policies'];
function expand(scope: string, group: string, resources: string[], verbs: string[]): string[] {
  return resources.flatMap((r) => verbs.map((v) => `${scope} ${group}/${r} ${v}`));
}
/** The controller's RBAC contract: the watched namespaces' verbs (cluster-wide or per namespace) + its own. */
function controllerContract(watchScopes: string[], own: string, ownSecretVerbs: string[]): string[] {
  return [
    ...watchScopes.flatMap((scope) => [
      ...expand(scope, 'tollgate.dev', KINDS, ['get', 'list', 'watch']),
      ...expand(
        scope,
        'tollgate.dev',
        KINDS.map((k) => `${k}/status`),
        ['get', 'patch'],
      ),
      ...expand(scope, 'core', ['secrets'], ['get', 'list', 'watch']),
      ...expand(scope, 'core', ['events'], ['create', 'patch']),
    ]),
    ...expand('*', 'authentication.k8s.io', ['tokenreviews'], ['create']),
    ...expand(own, 'core', ['secrets'], ownSecretVerbs),
    ...expand(own, 'core', ['configmaps'], ['get', 'create', 'update']),
    ...expand(own, 'coordination.k8s.io', ['leases'], ['get', 'list', 'create', 'update', 'delete']),
  ].sort();
}

/** The restricted Pod Security Standard, and a writable /tmp for a read-only root filesystem. */
function expectRestricted(d: Deployment) {
  const pod = d.spec.template.spec;
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const containers = [...pod.containers, ...(pod.initContainers ?? [])];
  expect(containers.length).toBeGreaterThan(0);
  for (const c of containers) {
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect((c.securityContext?.capabilities as { add?: string[] }).add).toBeUndefined();
    expect(c.securityContext?.privileged).not.toBe(true);
    expect(c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser).not.toBe(0);
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  }
  for (const v of pod.volumes ?? []) expect(Object.keys(v)).not.toContain('hostPath');
}

function expectSelects(selector: Record<string, string>, d: Deployment) {
  expect(d.spec.template.metadata.labels).toMatchObject(selector);
  expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tollgate-chart-'));
}, 15 * 60_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('helm lint --strict', () => {
  it('runs on helm 3.17, built by e2e/k8s/build-helm.sh', () => {
    expect(helm(['version', '--template', '{{.Version}}']).out).toMatch(/^v3\.17\.\d+$/);
  });

  it.each([
    ['the default values', []],
    ['every option on', ['--values', ALL_ON_VALUES]],
  ])('is clean with %s', (_name, args) => {
    const r = helm(['lint', '--strict', CHART, ...args]);
    expect(r.err).toBe('');
    expect(r.out).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.out).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(r.code).toBe(0);
  });
});

describe('values', () => {
  it('the schema refuses a mistyped value, an unknown value and an out-of-range value', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    await writeFile(bad, 'controller:\n  replicas: two\n');
    const linted = helm(['lint', '--strict', CHART, '--values', bad]);
    expect(linted.code).not.toBe(0);
    expect(linted.out + linted.err).toContain(
      'controller.replicas: Invalid type. Expected: integer, given: string',
    );

    const rendered = helm(templateArgs({ valuesFiles: [bad] }));
    expect(rendered.code).not.toBe(0);
    expect(rendered.err).toContain('controller.replicas: Invalid type. Expected: integer, given: string');

    const unknown = helm(templateArgs({ set: ['dataplane.replica=3'] }));
    expect(unknown.err).toContain('Additional property replica is not allowed');
    const range = helm(templateArgs({ set: ['discovery.tokenExpirationSeconds=60'] }));
    expect(range.err).toContain('discovery.tokenExpirationSeconds: Must be greater than or equal to 600');
    const level = helm(templateArgs({ set: ['controller.logLevel=verbose'] }));
    expect(level.err).toContain('controller.logLevel: controller.logLevel must be one of the following');
  });

  it.each([
    [
      'a termination grace not above the grace period',
      ['dataplane.gracePeriodSeconds=30'],
      'dataplane.terminationGracePeriodSeconds (30) must be larger than dataplane.gracePeriodSeconds (30)',
    ],
    [
      'both PDB bounds',
      ['controller.podDisruptionBudget.minAvailable=1'],
      'controller.podDisruptionBudget: set minAvailable or maxUnavailable, not both',
    ],
    [
      'an HPA whose minimum exceeds its maximum',
      [
        'dataplane.autoscaling.enabled=true',
        'dataplane.autoscaling.minReplicas=5',
        'dataplane.autoscaling.maxReplicas=3',
      ],
      'dataplane.autoscaling.minReplicas must not exceed maxReplicas',
    ],
    [
      'an existing ServiceAccount without its name',
      ['controller.serviceAccount.create=false'],
      'controller.serviceAccount.name is required when controller.serviceAccount.create is false',
    ],
  ])('refuse %s with a clear message', (_name, set, message) => {
    const r = helm(templateArgs({ set }));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(message);
  });

  it('values.yaml sets and comments every value, and the schema declares exactly those values', () => {
    const text = readFileSync(path.join(CHART, 'values.yaml'), 'utf8');
    const doc = parseDocument(text);
    const uncommented: string[] = [];
    // A group's comment may stand for its members (e.g. resources); otherwise each member needs one.
    const walk = (map: YAMLMap, at: string) => {
      map.items.forEach((pair, i) => {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        const keyPath = at ? `${at}.${key}` : key;
        const comment = (pair.key as Node).commentBefore ?? (i === 0 ? map.commentBefore : undefined);
        const value = pair.value;
        if (isMap(value) && value.items.length > 0) {
          const documentedMembers =
            value.commentBefore || value.items.some((p) => (p.key as Node).commentBefore);
          if (documentedMembers) walk(value, keyPath);
          else if (!comment) uncommented.push(keyPath);
        } else if (!comment) uncommented.push(keyPath);
      });
    };
    if (!isMap(doc.contents)) throw new Error('values.yaml is not a map');
    walk(doc.contents, '');
    expect(uncommented).toEqual([]);

    type Schema = {
      $ref?: string;
      allOf?: Schema[];
      properties?: Record<string, Schema>;
      additionalProperties?: boolean | Schema;
      definitions?: Record<string, Schema>;
    };
    const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as Schema;
    const resolve = (s: Schema): Schema => {
      if (s.$ref) return resolve(schema.definitions?.[s.$ref.replace('#/definitions/', '')] ?? {});
      if (s.allOf?.[0]) return resolve(s.allOf[0]);
      return s;
    };
    const values = parse(text) as Record<string, unknown>;
    const undeclared: string[] = [];
    const missing: string[] = [];
    const compare = (v: unknown, s: Schema, at: string) => {
      const r = resolve(s);
      if (!r.properties) return; // free-form by design (labels, affinity, ...)
      expect(r.additionalProperties).toBe(false);
      const obj = v as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const child = r.properties[key];
        if (!child) undeclared.push(`${at}${key}`);
        else if (obj[key] && typeof obj[key] === 'object' && !Array.isArray(obj[key]))
          compare(obj[key], child, `${at}${key}.`);
      }
      for (const key of Object.keys(r.properties)) if (!(key in obj)) missing.push(`${at}${key}`);
    };
    compare(values, schema, '');
    expect(undeclared).toEqual([]);
    expect(missing).toEqual([]);
  });
});

describe('rendered with the default values', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render();
  });
  const NS = 'tollgate-system';

  it('renders exactly the expected objects, CRDs aside, with no ServiceMonitor or HPA', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ClusterRole/tollgate-controller',
        'ClusterRole/tollgate-controller-tokenreview',
        'ClusterRoleBinding/tollgate-controller',
        'ClusterRoleBinding/tollgate-controller-tokenreview',
        'Deployment/tollgate-controller',
        'Deployment/tollgate-dataplane',
        'PodDisruptionBudget/tollgate-controller',
        'PodDisruptionBudget/tollgate-dataplane',
        'Role/tollgate-controller-self',
        'RoleBinding/tollgate-controller-self',
        'Service/tollgate-controller',
        'Service/tollgate-dataplane',
        'ServiceAccount/tollgate-controller',
        'ServiceAccount/tollgate-dataplane',
      ].sort(),
    );
    for (const o of objects) {
      if (!o.kind.startsWith('Cluster')) expect(o.metadata.namespace).toBe(NS);
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/instance': 'tollgate',
        'app.kubernetes.io/managed-by': 'Helm',
      });
    }
  });

  it('runs every pod under the restricted Pod Security Standard', () => {
    expectRestricted(deployment(objects, 'tollgate-controller'));
    expectRestricted(deployment(objects, 'tollgate-dataplane'));
  });

  it('grants the controller exactly the contract RBAC, cluster-wide', () => {
    expect(grants(objects, 'tollgate-controller', NS)).toEqual(
      controllerContract(['*'], NS, ['create', 'update']),
    );
    const sa = find(objects, 'ServiceAccount', 'tollgate-controller');
    expect(sa.automountServiceAccountToken).toBe(true);
    const pod = deployment(objects, 'tollgate-controller').spec.template.spec;
    expect(pod.serviceAccountName).toBe('tollgate-controller');
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it('gives the proxies no RBAC and no API token, only the audience-bound discovery token', () => {
    expect(grants(objects, 'tollgate-dataplane', NS)).toEqual([]);
    // and no binding reaches it through a group either
    for (const b of objects as Binding[])
      if (b.kind.endsWith('Binding')) expect(b.subjects.map((x) => x.kind)).toEqual(['ServiceAccount']);
    expect(find(objects, 'ServiceAccount', 'tollgate-dataplane').automountServiceAccountToken).toBe(false);

    const dataplane = deployment(objects, 'tollgate-dataplane');
    const pod = dataplane.spec.template.spec;
    expect(pod.serviceAccountName).toBe('tollgate-dataplane');
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = container(dataplane);
    const controller = container(deployment(objects, 'tollgate-controller'));

    const tokenFile = requireEnv(c, 'TOLLGATE_TOKEN_FILE');
    expect(tokenFile).toBe('/var/run/tollgate/token/token');
    const tokenMount = c.volumeMounts?.find((m) => m.mountPath === path.dirname(tokenFile));
    const projected = pod.volumes?.find((v) => v.name === tokenMount?.name)?.projected;
    expect(projected?.sources).toEqual([
      {
        serviceAccountToken: {
          audience: requireEnv(controller, 'TOLLGATE_TOKEN_AUDIENCE'),
          expirationSeconds: 3600,
          path: path.basename(tokenFile),
        },
      },
    ]);
    expect(requireEnv(controller, 'TOLLGATE_TOKEN_AUDIENCE')).toBe('tollgate-discovery');

    const caFile = requireEnv(c, 'TOLLGATE_DISCOVERY_CA');
    expect(caFile).toBe('/var/run/tollgate/ca/ca.crt');
    const caMount = c.volumeMounts?.find((m) => m.mountPath === path.dirname(caFile));
    expect(pod.volumes?.find((v) => v.name === caMount?.name)?.configMap).toEqual({
      name: requireEnv(controller, 'TOLLGATE_CA_CONFIGMAP'),
      items: [{ key: 'ca.crt', path: path.basename(caFile) }],
    });
    expect(requireEnv(controller, 'TOLLGATE_CA_CONFIGMAP')).toBe('tollgate-ca');
  });

  it('wires the controller as the contract says: flags by environment, ports, probes, Service', () => {
    const d = deployment(objects, 'tollgate-controller');
    expect(d.spec.replicas).toBe(2);
    const c = container(d);
    expect(c.args).toEqual(['controller']);
    expect(c.image).toBe('ghcr.io/tollgate-dev/tollgate-controller:0.1.0');
    expect(c.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom).toEqual({
      fieldRef: { fieldPath: 'metadata.namespace' },
    });
    expect(
      Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value])),
    ).toEqual({
      TOLLGATE_DATAPLANE_ACCOUNTS: 'tollgate-system/tollgate-dataplane',
      TOLLGATE_HOST: '0.0.0.0',
      TOLLGATE_DISCOVERY_PORT: '9977',
      TOLLGATE_OPS_PORT: '9091',
      TOLLGATE_WATCH_NAMESPACES: '',
      TOLLGATE_TLS_SECRET: 'tollgate-controller-tls',
      TOLLGATE_CA_CONFIGMAP: 'tollgate-ca',
      TOLLGATE_SERVICE_NAME: 'tollgate-controller',
      TOLLGATE_TOKEN_AUDIENCE: 'tollgate-discovery',
      TOLLGATE_LEASE_NAME: 'tollgate-controller',
      TOLLGATE_GRACE_PERIOD: '10',
      TOLLGATE_LOG_LEVEL: 'info',
    });
    const ops = Number(requireEnv(c, 'TOLLGATE_OPS_PORT'));
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(portNumber(c, c.readinessProbe?.httpGet?.port ?? '')).toBe(ops);
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(portNumber(c, c.livenessProbe?.httpGet?.port ?? '')).toBe(ops);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      Number(requireEnv(c, 'TOLLGATE_GRACE_PERIOD')),
    );

    const svc = service(objects, requireEnv(c, 'TOLLGATE_SERVICE_NAME'));
    expect(svc.spec.type).toBe('ClusterIP');
    expectSelects(svc.spec.selector, d);
    expect(svc.spec.selector['app.kubernetes.io/component']).toBe('controller');
    const grpc = svc.spec.ports.find((p) => p.name === 'grpc-discovery');
    expect(grpc).toMatchObject({ port: 9977, appProtocol: 'grpc' });
    expect(portNumber(c, grpc?.targetPort ?? '')).toBe(Number(requireEnv(c, 'TOLLGATE_DISCOVERY_PORT')));
    const metrics = svc.spec.ports.find((p) => p.name === 'metrics');
    expect(metrics?.port).toBe(9091);
    expect(portNumber(c, metrics?.targetPort ?? '')).toBe(ops);
  });

  it('points the proxies at the controller Service by the name in its certificate', () => {
    const d = deployment(objects, 'tollgate-dataplane');
    expect(d.spec.replicas).toBe(2);
    const c = container(d);
    expect(c.args).toEqual(['dataplane']);
    const controller = container(deployment(objects, 'tollgate-controller'));
    const svc = service(objects, requireEnv(controller, 'TOLLGATE_SERVICE_NAME'));
    const grpcPort = svc.spec.ports.find((p) => p.name === 'grpc-discovery')?.port;
    expect(requireEnv(c, 'TOLLGATE_DISCOVERY')).toBe(`${svc.metadata.name}.${NS}.svc:${grpcPort}`);
    expect(requireEnv(c, 'TOLLGATE_FLEET')).toBe('default');
    expect(c.env?.find((e) => e.name === 'TOLLGATE_NODE_ID')?.valueFrom).toEqual({
      fieldRef: { fieldPath: 'metadata.name' },
    });
    expect(requireEnv(c, 'TOLLGATE_HOST')).toBe('0.0.0.0');

    const ops = Number(requireEnv(c, 'TOLLGATE_OPS_PORT'));
    expect(ops).toBe(9091);
    expect(portNumber(c, c.readinessProbe?.httpGet?.port ?? '')).toBe(ops);
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(portNumber(c, c.livenessProbe?.httpGet?.port ?? '')).toBe(ops);
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      Number(requireEnv(c, 'TOLLGATE_GRACE_PERIOD')),
    );

    const proxy = service(objects, 'tollgate-dataplane');
    expect(proxy.spec.type).toBe('ClusterIP');
    expectSelects(proxy.spec.selector, d);
    const http = proxy.spec.ports.find((p) => p.name === 'http');
    expect(http?.port).toBe(80);
    expect(portNumber(c, http?.targetPort ?? '')).toBe(8081);
    expect(Number(requireEnv(c, 'TOLLGATE_PORT'))).toBe(8081);
    const metrics = proxy.spec.ports.find((p) => p.name === 'metrics');
    expect(metrics?.port).toBe(9091);
    expect(portNumber(c, metrics?.targetPort ?? '')).toBe(ops);
  });

  it('protects both components with a PodDisruptionBudget that selects their pods', () => {
    for (const name of ['tollgate-controller', 'tollgate-dataplane']) {
      const pdb = find(objects, 'PodDisruptionBudget', name) as K8sObject & {
        spec: {
          maxUnavailable?: number;
          minAvailable?: number;
          selector: { matchLabels: Record<string, string> };
        };
      };
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(pdb.spec.minAvailable).toBeUndefined();
      expectSelects(pdb.spec.selector.matchLabels, deployment(objects, name));
    }
  });
});

describe('the CRDs', () => {
  const crdFiles = readdirSync(path.join(ROOT, 'crds'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('are the repository crds/ itself, through a symbolic link', () => {
    const link = path.join(CHART, 'crds');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../../crds');
    expect(readdirSync(link).sort()).toEqual(crdFiles);
  });

  it('render with --include-crds identical to crds/, and only then', () => {
    const withCrds = render({ includeCrds: true });
    const crds = withCrds.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds).toHaveLength(crdFiles.length);
    for (const file of crdFiles) {
      const expected = parse(readFileSync(path.join(ROOT, 'crds', file), 'utf8')) as K8sObject;
      expect(crds.find((c) => c.metadata.name === expected.metadata.name)).toEqual(expected);
      expect(expected.kind).toBe('CustomResourceDefinition');
    }
    expect(render().filter((o) => o.kind === 'CustomResourceDefinition')).toEqual([]);
  });

  it('are packaged byte for byte by helm package', async () => {
    const r = helm(['package', CHART, '--destination', tmp]);
    expect(r.code).toBe(0);
    const archive = path.join(tmp, 'tollgate-0.1.0.tgz');
    const listed = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8' }).stdout.split('\n');
    expect(listed.filter((f) => f.startsWith('tollgate/crds/')).sort()).toEqual(
      crdFiles.map((f) => `tollgate/crds/${f}`),
    );
    expect(listed).not.toContain('tollgate/ci/all-on-values.yaml');
    for (const file of crdFiles) {
      const packaged = spawnSync('tar', ['-xzOf', archive, `tollgate/crds/${file}`], {
        encoding: 'utf8',
      }).stdout;
      expect(packaged).toBe(readFileSync(path.join(ROOT, 'crds', file), 'utf8'));
    }
  });
});

describe('rendered with every option on', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render({ release: 'tg', namespace: 'tg-system', valuesFiles: [ALL_ON_VALUES] });
  });

  it('binds the watch role only in the watched namespaces; TokenReview stays cluster-wide', () => {
    // tg-system itself is not watched, so reading its own TLS Secret needs `get` in its Role
    expect(grants(objects, 'edge-controller-sa', 'tg-system')).toEqual(
      controllerContract(['team-a', 'team-b'], 'tg-system', ['get', 'create', 'update']),
    );
    const c = container(deployment(objects, 'edge-controller'));
    expect(requireEnv(c, 'TOLLGATE_WATCH_NAMESPACES')).toBe('team-a,team-b');

    const watchingOwn = render({
      valuesFiles: [ALL_ON_VALUES],
      namespace: 'team-a',
      set: ['metrics.serviceMonitor.enabled=false'],
    });
    expect(grants(watchingOwn, 'edge-controller-sa', 'team-a')).toEqual(
      controllerContract(['team-a', 'team-b'], 'team-a', ['create', 'update']),
    );
  });

  it('passes every name and setting to the controller and the proxies', () => {
    const controller = deployment(objects, 'edge-controller');
    const c = container(controller);
    expect(controller.spec.replicas).toBe(3);
    expect(c.image).toBe(
      'registry.example.com/tollgate/controller@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    expect(requireEnv(c, 'TOLLGATE_TLS_SECRET')).toBe('edge-discovery-tls');
    expect(requireEnv(c, 'TOLLGATE_CA_CONFIGMAP')).toBe('edge-discovery-ca');
    expect(requireEnv(c, 'TOLLGATE_LEASE_NAME')).toBe('edge-leader');
    expect(requireEnv(c, 'TOLLGATE_TOKEN_AUDIENCE')).toBe('edge-discovery');
    expect(requireEnv(c, 'TOLLGATE_DISCOVERY_PORT')).toBe('19977');
    expect(requireEnv(c, 'TOLLGATE_LOG_LEVEL')).toBe('debug');
    expect(requireEnv(c, 'NODE_OPTIONS')).toBe('--max-old-space-size=384');
    expect(controller.spec.template.spec.terminationGracePeriodSeconds).toBe(45);
    expectRestricted(controller);

    const dataplane = deployment(objects, 'edge-dataplane');
    const p = container(dataplane);
    expect(dataplane.spec.replicas).toBeUndefined(); // the HPA owns it
    expect(requireEnv(p, 'TOLLGATE_DISCOVERY')).toBe('edge-controller.tg-system.svc:19977');
    expect(requireEnv(p, 'TOLLGATE_FLEET')).toBe('edge');
    expect(p.env?.find((e) => e.name === 'TOLLGATE_REDIS_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'redis', key: 'url' },
    });
    const token = dataplane.spec.template.spec.volumes?.find((v) => v.projected)?.projected?.sources[0];
    expect(token?.serviceAccountToken).toEqual({
      audience: 'edge-discovery',
      expirationSeconds: 7200,
      path: 'token',
    });
    expect(dataplane.spec.template.spec.volumes?.find((v) => v.configMap)?.configMap?.name).toBe(
      'edge-discovery-ca',
    );
    expect(dataplane.spec.template.spec.serviceAccountName).toBe('edge-proxy-sa');
    expect(grants(objects, 'edge-proxy-sa', 'tg-system')).toEqual([]);
    expectRestricted(dataplane);

    const proxy = service(objects, 'edge-dataplane');
    expect(proxy.spec.type).toBe('LoadBalancer');
    expect(proxy.spec.ports.find((x) => x.name === 'http')?.port).toBe(8080);
    expect(portNumber(p, proxy.spec.ports.find((x) => x.name === 'http')?.targetPort ?? '')).toBe(18081);
    expect(find(objects, 'PodDisruptionBudget', 'edge-controller').spec).toMatchObject({ minAvailable: 2 });
    expect(find(objects, 'PodDisruptionBudget', 'edge-dataplane').spec).toMatchObject({
      maxUnavailable: '25%',
    });
    for (const o of objects)
      expect(o.metadata.labels).toMatchObject({ team: 'platform', 'app.kubernetes.io/name': 'tg' });
  });

  it('scales the proxies with an autoscaling/v2 HPA on CPU and memory', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'edge-dataplane');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'edge-dataplane' },
      minReplicas: 3,
      maxReplicas: 20,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
        },
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    });
  });

  it('renders a ServiceMonitor that scrapes the metrics port of both Services', () => {
    const sm = find(objects, 'ServiceMonitor') as K8sObject & {
      spec: {
        selector: {
          matchLabels: Record<string, string>;
          matchExpressions: { key: string; operator: string; values: string[] }[];
        };
        namespaceSelector: { matchNames: string[] };
        endpoints: { port: string; path: string; interval: string; scrapeTimeout?: string }[];
      };
    };
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels).toMatchObject({ release: 'prometheus' });
    expect(sm.spec.namespaceSelector.matchNames).toEqual(['tg-system']);
    expect(sm.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', scheme: 'http', interval: '15s', scrapeTimeout: '10s' },
    ]);
    const services = objects.filter((o) => o.kind === 'Service') as Service[];
    expect(services).toHaveLength(2);
    for (const svc of services) {
      const labels = svc.metadata.labels ?? {};
      expect(labels).toMatchObject(sm.spec.selector.matchLabels);
      for (const e of sm.spec.selector.matchExpressions) expect(e.values).toContain(labels[e.key]);
      expect(svc.spec.ports.map((x) => x.name)).toContain('metrics');
    }
  });

  it('turns the ServiceMonitor off and on with its value only', () => {
    const off = parseObjects(
      renderText({ valuesFiles: [ALL_ON_VALUES], set: ['metrics.serviceMonitor.enabled=false'] }),
    );
    expect(off.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
    expect(
      render({ set: ['metrics.serviceMonitor.enabled=true'] }).filter((o) => o.kind === 'ServiceMonitor'),
    ).toHaveLength(1);
  });
});
