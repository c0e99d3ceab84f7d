import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import {
  compileValidators,
  crdsDir,
  describeAjvError,
  fieldPath,
  loadCrds,
  toJsonSchema,
  type KubeSchema,
} from './crd-schemas';

function validatorFor(node: KubeSchema) {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  addFormats(ajv);
  const root: KubeSchema = {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: node,
    },
  };
  const validate = ajv.compile(toJsonSchema(root));
  return (spec: unknown) => {
    const doc = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' }, spec };
    return { ok: validate(doc), doc, errors: (validate.errors ?? []).map(describeAjvError) };
  };
}

describe('crdsDir', () => {
  it('finds the repository crds/ folder from the source tree', () => {
    expect(crdsDir()).toBe(path.resolve(__dirname, '../../../crds'));
  });
});

describe('toJsonSchema (Kubernetes structural schema → JSON Schema)', () => {
  it('refuses unknown fields unless x-kubernetes-preserve-unknown-fields is set', () => {
    const strict = validatorFor({ type: 'object', properties: { a: { type: 'string' } } });
    expect(strict({ a: 'x', b: 1 }).errors).toEqual([{ path: 'spec.b', message: 'unknown field' }]);
    const open = validatorFor({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { a: { type: 'string' } },
    });
    expect(open({ a: 'x', b: 1 }).ok).toBe(true);
  });

  it('honours nullable and int-or-string', () => {
    const v = validatorFor({
      type: 'object',
      properties: {
        n: { type: 'string', nullable: true },
        port: { 'x-kubernetes-int-or-string': true },
      },
    });
    expect(v({ n: null, port: 80 }).ok).toBe(true);
    expect(v({ port: 'http' }).ok).toBe(true);
    expect(v({ port: true }).ok).toBe(false);
    expect(validatorFor({ type: 'object', properties: { n: { type: 'string' } } })({ n: null }).ok).toBe(
      false,
    );
  });

  it('applies defaults inside present objects only, as the API server does', () => {
    const v = validatorFor({
      type: 'object',
      properties: {
        mode: { type: 'string', default: 'A' },
        nested: { type: 'object', properties: { x: { type: 'integer', default: 1 } } },
      },
    });
    expect(v({}).doc.spec).toEqual({ mode: 'A' });
    expect(v({ nested: {} }).doc.spec).toEqual({ mode: 'A', nested: { x: 1 } });
  });

  it('requires apiVersion, kind and metadata, and metadata.name as a DNS subdomain', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(
      toJsonSchema({
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { type: 'object' },
        },
      }),
    );
    validate({});
    expect((validate.errors ?? []).map(describeAjvError)).toEqual([
      { path: 'apiVersion', message: 'required field is missing' },
      { path: 'kind', message: 'required field is missing' },
      { path: 'metadata', message: 'required field is missing' },
    ]);
    expect(validate({ apiVersion: 'a', kind: 'b', metadata: { name: 'Not.Valid' } })).toBe(false);
    expect(validate({ apiVersion: 'a', kind: 'b', metadata: { name: 'a.b-c', uid: 'u' } })).toBe(true);
  });
});

describe('compileValidators', () => {
  const validators = compileValidators(loadCrds());

  it('checks the int32 and int64 formats of the CRDs', () => {
    const policy = (maxMessages: number, requests: number) => ({
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'Policy',
      metadata: { name: 'p' },
      spec: {
        targetRefs: [{ kind: 'Gateway', name: 'g' }],
        plugins: { requestSize: { maxMessages }, rateLimit: { requests, window: '1s' } },
      },
    });
    const validate = validators.get('Policy');
    expect(validate?.(policy(2 ** 31 - 1, 2 ** 40))).toBe(true);
    expect(validate?.(policy(2 ** 31, 1))).toBe(false);
    expect((validate?.errors ?? []).map(describeAjvError)).toEqual([
      { path: 'spec.plugins.requestSize.maxMessages', message: 'must match format "int32"' },
    ]);
    expect(validate?.(policy(1, 2 ** 60))).toBe(false);
  });

  it('accepts only its own apiVersion and kind', () => {
    const validate = validators.get('Gateway');
    const doc = (apiVersion: string, kind: string) => ({
      apiVersion,
      kind,
      metadata: { name: 'g' },
      spec: { slug: 'g' },
    });
    expect(validate?.(doc('tollgate.dev/v1alpha1', 'Gateway'))).toBe(true);
    expect(validate?.(doc('tollgate.dev/v1alpha1', 'Consumer'))).toBe(false);
    expect((validate?.errors ?? []).map(describeAjvError)).toEqual([
      { path: 'kind', message: 'must be "Gateway"' },
    ]);
    expect(validate?.(doc('tollgate.dev/v1', 'Gateway'))).toBe(false);
  });
});

describe('fieldPath', () => {
  it.each([
    ['', ''],
    ['/spec', 'spec'],
    ['/spec/routes/0/targets/12/weight', 'spec.routes[0].targets[12].weight'],
    ['/metadata/labels/a~1b', 'metadata.labels.a/b'],
  ])('%s → %s', (pointer, expected) => {
    expect(fieldPath(pointer)).toBe(expected);
  });
});
