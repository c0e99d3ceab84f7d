import {
  ruleViolations as violations,
  withChange as mutated,
  type Mutable,
} from '../api/testdata/violations';
import { KINDS } from '../api/v1alpha1';
import { RuleChecker } from './cel';
import { loadCrds, storageSchema, type KubeSchema } from './crd-schemas';

const crds = loadCrds();
const checkers = new Map(KINDS.map((k) => [k, new RuleChecker(storageSchema(crds.get(k) as never))]));

/** Every rule message declared in crds/, per kind. */
function ruleMessages(node: KubeSchema): string[] {
  const own = (node['x-kubernetes-validations'] ?? []).map((v) => v.message ?? v.rule);
  const children = [
    ...Object.values(node.properties ?? {}),
    ...(node.items ? [node.items] : []),
    ...(typeof node.additionalProperties === 'object' ? [node.additionalProperties] : []),
  ];
  return [...own, ...children.flatMap(ruleMessages)];
}

describe('CEL rules of crds/', () => {
  it.each(violations.map(([kind, change, path, message]) => [kind, path, message, change] as const))(
    '%s %s: %s',
    (kind, path, message, change) => {
      const found = checkers.get(kind)?.check(mutated(kind, change));
      expect(found).toEqual([{ path, message }]);
    },
  );

  it('every rule in crds/ has a violating case above', () => {
    for (const kind of KINDS) {
      const declared = new Set(ruleMessages(storageSchema(crds.get(kind) as never)));
      const covered = new Set(violations.filter(([k]) => k === kind).map(([, , , m]) => m));
      expect([...declared].sort()).toEqual([...covered].sort());
    }
  });

  it("the Policy's at-least-one-plugin rule names every plugin of the schema", () => {
    const plugins = storageSchema(crds.get('Policy') as never).properties?.spec?.properties?.plugins;
    const rule = plugins?.['x-kubernetes-validations']?.[0]?.rule ?? '';
    for (const name of Object.keys(plugins?.properties ?? {})) expect(rule).toContain(`has(self.${name})`);
  });

  it('accepts an exporter that sets only the block of its type', () => {
    const g = mutated('Gateway', (s) => {
      (s.telemetry as Mutable).exporters = [{ type: 'otlp', otlp: { endpoint: 'https://otel' } }];
    });
    expect(checkers.get('Gateway')?.check(g)).toEqual([]);
  });
});

describe('RuleChecker on hand-made schemas', () => {
  const schema = (node: KubeSchema): KubeSchema => ({ type: 'object', properties: { spec: node } });

  it('binds integers as CEL ints and numbers as doubles, as the API server does', () => {
    const c = new RuleChecker(
      schema({
        type: 'object',
        'x-kubernetes-validations': [
          { rule: 'self.count == 3', message: 'int' },
          { rule: 'self.ratio == 0.5', message: 'double' },
        ],
        properties: { count: { type: 'integer' }, ratio: { type: 'number' } },
      }),
    );
    expect(c.check({ spec: { count: 3, ratio: 0.5 } })).toEqual([]);
    expect(c.check({ spec: { count: 4, ratio: 0.5 } })).toEqual([{ path: 'spec', message: 'int' }]);
  });

  it('runs rules inside maps and list items, with the path of each', () => {
    const c = new RuleChecker(
      schema({
        type: 'object',
        properties: {
          labels: {
            type: 'object',
            additionalProperties: {
              type: 'string',
              'x-kubernetes-validations': [{ rule: "self != 'bad'", message: 'no bad values' }],
            },
          },
          items: {
            type: 'array',
            items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'size(self) < 3' }] },
          },
        },
      }),
    );
    expect(c.check({ spec: { labels: { a: 'ok', b: 'bad' }, items: ['x', 'long'] } })).toEqual([
      { path: 'spec.labels.b', message: 'no bad values' },
      // without a message the API server reports the rule itself
      { path: 'spec.items[1]', message: 'failed rule: size(self) < 3' },
    ]);
  });

  it('skips rules of absent fields and reports a rule that cannot be evaluated', () => {
    const c = new RuleChecker(
      schema({
        type: 'object',
        properties: {
          a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.nope > 1', message: 'm' }] },
        },
      }),
    );
    expect(c.check({ spec: {} })).toEqual([]);
    const [v] = c.check({ spec: { a: 'x' } });
    expect(v?.path).toBe('spec.a');
    expect(v?.message).toMatch(/^m \(rule could not be evaluated: /);
  });

  it('enforces list-type set and map uniqueness', () => {
    const c = new RuleChecker(
      schema({
        type: 'object',
        properties: {
          tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
          refs: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['kind', 'name'],
            items: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' } } },
          },
        },
      }),
    );
    const refs = [
      { kind: 'Gateway', name: 'a' },
      { kind: 'Consumer', name: 'a' },
      { kind: 'Gateway', name: 'a' },
    ];
    expect(c.check({ spec: { tags: ['x', 'y', 'x'], refs } })).toEqual([
      { path: 'spec.tags[2]', message: 'duplicate value "x"' },
      { path: 'spec.refs[2]', message: 'duplicate entry for key ["Gateway","a"]' },
    ]);
  });

  it('parses each rule once, when the schema is loaded', () => {
    expect(
      () => new RuleChecker(schema({ type: 'string', 'x-kubernetes-validations': [{ rule: 'self ==' }] })),
    ).toThrow();
  });
});
