import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { RESOURCE_KINDS, type AnyResource, type ResourceKind } from './types';

/** protocol/schema/, found by walking up from this file: works from src and dist. */
export function schemaFile(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'protocol', 'schema', 'v1alpha1.json');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`protocol/schema/v1alpha1.json not found above ${__dirname}`);
    dir = parent;
  }
}

interface Validators {
  envelope: ValidateFunction;
  bodies: Map<ResourceKind, ValidateFunction>;
}

let compiled: Validators | undefined;

function validators(): Validators {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(schemaFile(), 'utf8')) as { $id: string };
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema(schema);
    const get = (def: string) => ajv.getSchema(`${schema.$id}#/definitions/${def}`) as ValidateFunction;
    compiled = { envelope: get('Resource'), bodies: new Map(RESOURCE_KINDS.map((k) => [k, get(k)])) };
  }
  return compiled;
}

export type ResourceCheck = { ok: true; resource: AnyResource } | { ok: false; error: string };

/**
 * Checks a received resource against the protocol schema. The proxy applies only resources that
 * pass and NACKs the others with the returned error.
 */
export function validateResource(r: unknown): ResourceCheck {
  const v = validators();
  if (!v.envelope(r)) return { ok: false, error: errorText(v.envelope, '') };
  const resource = r as AnyResource;
  const body = v.bodies.get(resource.kind) as ValidateFunction;
  if (!body(resource.body)) return { ok: false, error: errorText(body, 'body') };
  return { ok: true, resource };
}

function errorText(fn: ValidateFunction, prefix: string): string {
  return (fn.errors ?? [])
    .map((e) => {
      const extra = e.keyword === 'additionalProperties' ? ` '${String(e.params.additionalProperty)}'` : '';
      return `${prefix}${e.instancePath || (prefix ? '' : '/')}: ${e.message ?? 'invalid'}${extra}`;
    })
    .join('; ');
}
