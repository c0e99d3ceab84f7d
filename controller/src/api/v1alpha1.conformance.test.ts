import { parse } from '@marcbachmann/cel-js';
import { RuleChecker } from '../manifests/cel';
import { compileValidators, loadCrds, storageSchema, type KubeSchema } from '../manifests/crd-schemas';
import { everything } from './testdata/everything';
import {
  FAILURE_MODES,
  KINDS,
  LB_STRATEGIES,
  LIMIT_KEYS,
  MCP_TRANSPORTS,
  POLICY_PLUGINS,
  PROVIDERS,
  RATE_LIMIT_ALGORITHMS,
  RETRY_ON,
  type Kind,
} from './v1alpha1';

/** What `kubectl get` shows per kind besides Ready, Reason and Age (and the conditions with -o wide). */
const EXPECTED_NAMES: Record<Kind, { shortName: string; columns: string[] }> = {
  Gateway: { shortName: 'tgw', columns: ['Slug', 'Fleet'] },
  Registry: { shortName: 'treg', columns: ['Provider', 'Base URL'] },
  Consumer: { shortName: 'tcon', columns: ['Gateway', 'Slug'] },
  Policy: { shortName: 'tpol', columns: ['Targets'] },
};

const crds = loadCrds();
const validators = compileValidators(crds);

/** Every leaf path of a schema, lists as [] (e.g. spec.routes[].targets[].weight). */
function schemaLeaves(node: KubeSchema, at: string): string[] {
  if (node.properties)
    return Object.entries(node.properties).flatMap(([k, c]) => schemaLeaves(c, `${at}.${k}`));
  if (node.items) return schemaLeaves(node.items, `${at}[]`);
  return [at];
}

function valueLeaves(value: unknown, at: string, mapPaths: Set<string>): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => valueLeaves(v, `${at}[]`, mapPaths));
  if (value && typeof value === 'object' && !mapPaths.has(at)) {
    return Object.entries(value).flatMap(([k, v]) => valueLeaves(v, `${at}.${k}`, mapPaths));
  }
  return [at];
}

/** Paths whose schema is a free-form map (additionalProperties), which count as leaves. */
function mapPaths(node: KubeSchema, at: string, out = new Set<string>()): Set<string> {
  if (typeof node.additionalProperties === 'object') out.add(at);
  for (const [k, c] of Object.entries(node.properties ?? {})) mapPaths(c, `${at}.${k}`, out);
  if (node.items) mapPaths(node.items, `${at}[]`, out);
  return out;
}

describe.each(KINDS)('%s CRD', (kind) => {
  const crd = crds.get(kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  const root = storageSchema(crd);
  const spec = root.properties?.spec as KubeSchema;
  const fixture = everything[kind];

  it('accepts the fixture that sets every field of the TypeScript type', () => {
    const copy = structuredClone(fixture);
    const validate = validators.get(kind);
    expect(validate?.(copy)).toBe(true);
    expect(validate?.errors ?? []).toEqual([]);
  });

  it('has no field that the TypeScript type lacks', () => {
    const inFixture = new Set(valueLeaves(fixture.spec, 'spec', mapPaths(spec, 'spec')));
    const missing = schemaLeaves(spec, 'spec').filter((p) => !inFixture.has(p));
    expect(missing).toEqual([]);
  });

  it('describes every field, for kubectl explain', () => {
    const undocumented: string[] = [];
    const walk = (n: KubeSchema, at: string) => {
      if (at !== 'metadata' && !n.description) undocumented.push(at || '(root)');
      for (const [k, c] of Object.entries(n.properties ?? {})) walk(c, at ? `${at}.${k}` : k);
      if (n.items) walk(n.items, `${at}[]`);
      if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${at}{}`);
    };
    walk(root, '');
    expect(undocumented).toEqual([]);
  });

  it('has printer columns, a short name, the tollgate category and a status subresource', () => {
    const v = crd.spec.versions[0];
    expect(crd.spec.group).toBe('tollgate.dev');
    expect(v?.name).toBe('v1alpha1');
    expect(crd.spec.versions).toHaveLength(1);
    expect(v).toMatchObject({ served: true, storage: true });
    expect(crd.spec.names.shortNames).toEqual([EXPECTED_NAMES[kind].shortName]);
    expect(crd.spec.names.categories).toEqual(['tollgate']);
    expect(v?.subresources?.status).toEqual({});
    expect(v?.additionalPrinterColumns?.map((c) => c.name)).toEqual([
      ...EXPECTED_NAMES[kind].columns,
      'Ready',
      'Reason',
      'Accepted',
      'ResolvedRefs',
      'Programmed',
      'Age',
    ]);
    const condition = (type: string, field = 'status') => `.status.conditions[?(@.type=="${type}")].${field}`;
    // Ready (every condition True) and its reason by default; each condition with -o wide.
    expect(v?.additionalPrinterColumns).toContainEqual({
      name: 'Ready',
      type: 'string',
      jsonPath: condition('Ready'),
    });
    expect(v?.additionalPrinterColumns).toContainEqual({
      name: 'Reason',
      type: 'string',
      jsonPath: condition('Ready', 'reason'),
    });
    for (const type of ['Accepted', 'ResolvedRefs', 'Programmed'])
      expect(v?.additionalPrinterColumns).toContainEqual({
        name: type,
        type: 'string',
        jsonPath: condition(type),
        priority: 1,
      });
  });

  it('shares one status schema (conditions + observedGeneration) with the other kinds', () => {
    const gatewayStatus = storageSchema(crds.get('Gateway') as never).properties?.status;
    expect(root.properties?.status).toEqual(gatewayStatus);
    expect(Object.keys(root.properties?.status?.properties ?? {})).toEqual([
      'observedGeneration',
      'conditions',
    ]);
    const conditions = root.properties?.status?.properties?.conditions;
    expect(conditions).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: { required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'] },
    });
    expect(conditions?.items?.properties?.status?.enum).toEqual(['True', 'False', 'Unknown']);
  });

  it('has CEL rules that parse, and all of them run and pass on the fixture', () => {
    const rules = RuleChecker.rulesOf(root);
    for (const rule of rules) expect(() => parse(rule)).not.toThrow();
    const evaluated = new Set<string>();
    expect(new RuleChecker(root).check(structuredClone(fixture), evaluated)).toEqual([]);
    expect([...evaluated].sort()).toEqual([...new Set(rules)].sort());
  });
});

/** The schema node at a dotted path below `spec` (lists stepped through with []). */
function nodeAt(kind: Kind, at: string): KubeSchema | undefined {
  let node: KubeSchema | undefined = storageSchema(crds.get(kind) as never).properties?.spec;
  for (const part of at.split('.')) {
    const name = part.replace(/\[\]$/, '');
    node = node?.properties?.[name];
    if (part.endsWith('[]')) node = node?.items;
  }
  return node;
}

describe('enum lists of the TypeScript API match the CRDs', () => {
  it.each([
    ['Registry', 'provider', PROVIDERS],
    ['Registry', 'mcp.transport', MCP_TRANSPORTS],
    ['Consumer', 'routes[].strategy', LB_STRATEGIES],
    ['Consumer', 'retry.retryOn[]', RETRY_ON],
    ['Policy', 'plugins.rateLimit.key', LIMIT_KEYS],
    ['Policy', 'plugins.tokenRateLimit.key', LIMIT_KEYS],
    ['Policy', 'plugins.rateLimit.algorithm', RATE_LIMIT_ALGORITHMS],
    ['Policy', 'plugins.rateLimit.failureMode', FAILURE_MODES],
    ['Policy', 'plugins.tokenRateLimit.failureMode', FAILURE_MODES],
    ['Policy', 'plugins.promptGuard.webhook.failureMode', FAILURE_MODES],
  ] as const)('%s spec.%s', (kind, at, list) => {
    expect(nodeAt(kind, at)?.enum).toEqual([...list]);
  });

  it('Policy spec.plugins lists every plugin', () => {
    expect(Object.keys(nodeAt('Policy', 'plugins')?.properties ?? {}).sort()).toEqual(
      [...POLICY_PLUGINS].sort(),
    );
  });
});
