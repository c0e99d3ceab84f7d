import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { KINDS, type Kind } from '../api/v1alpha1';

/** A node of a CRD's openAPIV3Schema (the Kubernetes structural-schema dialect). */
export interface KubeSchema {
  type?: string;
  description?: string;
  properties?: Record<string, KubeSchema>;
  items?: KubeSchema;
  additionalProperties?: KubeSchema | boolean;
  required?: string[];
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: { rule: string; message?: string; messageExpression?: string }[];
  [keyword: string]: unknown;
}

export interface CustomResourceDefinition {
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: KubeSchema };
      subresources?: { status?: object };
      additionalPrinterColumns?: { name: string; type: string; jsonPath: string; priority?: number }[];
    }[];
  };
}

/** The crds/ folder, found by walking up from this file: works from src and from dist. */
export function crdsDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'crds');
    if (existsSync(path.join(candidate, 'tollgate.dev_gateways.yaml'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`crds/ not found above ${__dirname}`);
    dir = parent;
  }
}

export function loadCrds(dir = crdsDir()): Map<Kind, CustomResourceDefinition> {
  const crds = new Map<Kind, CustomResourceDefinition>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const crd = parse(readFileSync(path.join(dir, file), 'utf8')) as CustomResourceDefinition;
    const kind = crd.spec.names.kind as Kind;
    if (KINDS.includes(kind)) crds.set(kind, crd);
  }
  for (const kind of KINDS) if (!crds.has(kind)) throw new Error(`no CRD for ${kind} in ${dir}`);
  return crds;
}

export function storageSchema(crd: CustomResourceDefinition): KubeSchema {
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  if (!version) throw new Error(`CRD ${crd.metadata.name} has no version`);
  return version.schema.openAPIV3Schema;
}

/** What the API server checks of metadata before a CRD's own schema sees the object. */
const OBJECT_META = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      maxLength: 253,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    },
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    generation: { type: 'integer' },
  },
};

/**
 * Kubernetes dialect → JSON Schema for ajv: x-kubernetes-* keywords dropped (CEL and list types are
 * checked by ./cel.ts), `nullable` and int-or-string expressed in JSON Schema, and unknown fields
 * refused (additionalProperties false) as `kubectl apply --validate=strict` does.
 */
export function toJsonSchema(node: KubeSchema, isRoot = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable') continue;
    if (key === 'properties') {
      const props: Record<string, unknown> = {};
      for (const [name, child] of Object.entries(value as Record<string, KubeSchema>)) {
        props[name] = isRoot && name === 'metadata' ? OBJECT_META : toJsonSchema(child, false);
      }
      out.properties = props;
    } else if (key === 'items') {
      out.items = toJsonSchema(value as KubeSchema, false);
    } else if (key === 'additionalProperties' && typeof value === 'object') {
      out.additionalProperties = toJsonSchema(value as KubeSchema, false);
    } else {
      out[key] = value;
    }
  }
  if (node['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (node.type === 'object' && node.properties && !node['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties ??= false;
  }
  if (node.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (isRoot) {
    // the API server refuses an object without these before its schema is consulted
    const required = new Set([...(node.required ?? []), 'apiVersion', 'kind', 'metadata']);
    out.required = [...required];
  }
  return out;
}

export type SchemaValidator = ValidateFunction;

/** One ajv validator per kind, compiled once; applies CRD defaults like the API server. */
export function compileValidators(crds: Map<Kind, CustomResourceDefinition>): Map<Kind, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  addFormats(ajv);
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  const validators = new Map<Kind, ValidateFunction>();
  for (const [kind, crd] of crds) {
    const schema = toJsonSchema(storageSchema(crd));
    const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
    const props = schema.properties as Record<string, Record<string, unknown>>;
    // one validator per kind: it accepts only its own apiVersion and kind
    props.apiVersion = { ...props.apiVersion, const: `${crd.spec.group}/${version?.name ?? ''}` };
    props.kind = { ...props.kind, const: kind };
    validators.set(kind, ajv.compile(schema));
  }
  return validators;
}

/** `/spec/routes/0/weight` → `spec.routes[0].weight` */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : out ? `.${key}` : key;
  }
  return out;
}

export function describeAjvError(e: ErrorObject): { path: string; message: string } {
  const at = fieldPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      return { path: at ? `${at}.${field}` : field, message: 'unknown field' };
    }
    case 'required': {
      const field = String((e.params as { missingProperty: string }).missingProperty);
      return { path: at ? `${at}.${field}` : field, message: 'required field is missing' };
    }
    case 'const':
      return {
        path: at,
        message: `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`,
      };
    case 'enum':
      return {
        path: at,
        message: `must be one of: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`,
      };
    default:
      return { path: at, message: e.message ?? 'is invalid' };
  }
}
