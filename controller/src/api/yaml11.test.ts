import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { crdsDir, loadCrds, storageSchema, type KubeSchema } from '../manifests/crd-schemas';

/**
 * kubectl, Helm and Argo CD read manifests as YAML 1.1 (sigs.k8s.io/yaml), where an unquoted `on`,
 * `off`, `yes`, `no`, `y` or `n` (any case) is a boolean, not a string; standalone mode and these
 * tests read YAML 1.2, where it is a string. A field or enum value spelled like that works locally
 * and is silently lost on a cluster, so none may exist, and every file applied to a cluster must
 * read the same in both.
 */
const ROOT = path.resolve(__dirname, '../../..');

/** What a user writes unquoted reads back as this very string under YAML 1.1. */
const survivesYaml11 = (word: string): boolean => parse(word, { version: '1.1' }) === word;

/**
 * Condition status is Kubernetes' own `True`/`False`/`Unknown` convention (metav1.Condition), written
 * by the controller as JSON through the status subresource, never by hand in YAML.
 */
const EXEMPT = new Set(['status.conditions[].status']);

/** Property names and enum values that YAML 1.1 would read as something else, with their paths. */
function yaml11Traps(node: KubeSchema, at: string, out: string[] = []): string[] {
  for (const value of (node.enum ?? []) as unknown[]) {
    if (typeof value !== 'string' || !survivesYaml11(value)) {
      if (!EXEMPT.has(at)) out.push(`${at}: enum value ${JSON.stringify(value)}`);
    }
  }
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const childAt = at ? `${at}.${name}` : name;
    if (!survivesYaml11(name)) out.push(`${childAt}: property name`);
    yaml11Traps(child, childAt, out);
  }
  if (node.items) yaml11Traps(node.items, `${at}[]`, out);
  if (typeof node.additionalProperties === 'object') yaml11Traps(node.additionalProperties, `${at}{}`, out);
  return out;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return yamlFiles(file);
    return /\.ya?ml$/.test(name) ? [file] : [];
  });
}

describe('YAML 1.1 (kubectl, Helm, Argo CD) reads the API as YAML 1.2 does', () => {
  it('the check itself flags YAML 1.1 booleans in any case, and passes ordinary words', () => {
    for (const trap of ['on', 'On', 'OFF', 'yes', 'No', 'y', 'N', 'true', 'False'])
      expect(survivesYaml11(trap)).toBe(false);
    for (const word of ['retryOn', 'ConnectError', 'online', 'mock', 'Weighted'])
      expect(survivesYaml11(word)).toBe(true);
    const schema: KubeSchema = {
      type: 'object',
      properties: {
        on: { type: 'array', items: { type: 'string', enum: ['A', 'Off'] } },
        status: {
          type: 'object',
          properties: {
            conditions: {
              type: 'array',
              items: { type: 'object', properties: { status: { type: 'string', enum: ['True'] } } },
            },
          },
        },
      },
    };
    expect(yaml11Traps(schema, '')).toEqual(['on: property name', 'on[]: enum value "Off"']);
  });

  it.each([...loadCrds()].map(([kind, crd]) => ({ kind, crd })))(
    'no $kind property name or enum value is a YAML 1.1 boolean (or any other non-string)',
    ({ crd }) => {
      expect(yaml11Traps(storageSchema(crd), '')).toEqual([]);
    },
  );

  const applied = [
    ...yamlFiles(crdsDir()),
    ...yamlFiles(path.join(ROOT, 'examples')),
    path.join(ROOT, 'charts/tollgate/values.yaml'),
    ...yamlFiles(path.join(ROOT, 'charts/tollgate/ci')),
  ];
  it.each(applied.map((file) => path.relative(ROOT, file)))(
    '%s reads the same in YAML 1.1 and 1.2',
    (file) => {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      const asRead = (version: '1.1' | '1.2') =>
        parseAllDocuments(text, { version }).map((d) => d.toJS() as unknown);
      expect(asRead('1.1')).toEqual(asRead('1.2'));
    },
  );
});
