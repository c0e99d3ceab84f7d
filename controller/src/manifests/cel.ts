import { parse, type ParseResult } from '@marcbachmann/cel-js';
import type { KubeSchema } from './crd-schemas';

export interface RuleViolation {
  path: string;
  message: string;
}

interface CompiledRule {
  rule: string;
  message: string;
  evaluate: ParseResult;
}

/**
 * The checks of a CRD that JSON Schema cannot express, run as the API server runs them: every
 * `x-kubernetes-validations` CEL rule with `self` bound to its node, and list-type map/set
 * uniqueness. Rules are parsed once per schema, never per document.
 */
export class RuleChecker {
  private readonly rules = new WeakMap<KubeSchema, CompiledRule[]>();

  constructor(private readonly root: KubeSchema) {
    this.compileAll(root);
  }

  /** Every rule text in the schema, for tests. */
  static rulesOf(schema: KubeSchema): string[] {
    const found: string[] = [];
    const walk = (n: KubeSchema | undefined) => {
      if (!n) return;
      for (const v of n['x-kubernetes-validations'] ?? []) found.push(v.rule);
      for (const c of Object.values(n.properties ?? {})) walk(c);
      walk(n.items);
      if (typeof n.additionalProperties === 'object') walk(n.additionalProperties);
    };
    walk(schema);
    return found;
  }

  /** Violations of the rules and list types; `evaluated` (for tests) collects every rule that ran. */
  check(value: unknown, evaluated?: Set<string>): RuleViolation[] {
    const out: RuleViolation[] = [];
    this.walk(this.root, value, '', out, evaluated);
    return out;
  }

  private compileAll(node: KubeSchema): void {
    const v = node['x-kubernetes-validations'];
    if (v) {
      this.rules.set(
        node,
        v.map((r) => ({
          rule: r.rule,
          message: r.message ?? `failed rule: ${r.rule}`,
          evaluate: parse(r.rule),
        })),
      );
    }
    for (const c of Object.values(node.properties ?? {})) this.compileAll(c);
    if (node.items) this.compileAll(node.items);
    if (typeof node.additionalProperties === 'object') this.compileAll(node.additionalProperties);
  }

  private walk(
    node: KubeSchema,
    value: unknown,
    path: string,
    out: RuleViolation[],
    evaluated: Set<string> | undefined,
  ): void {
    if (value === undefined || value === null) return;
    for (const r of this.rules.get(node) ?? []) {
      evaluated?.add(r.rule);
      let ok: unknown;
      try {
        ok = r.evaluate({ self: toCel(node, value) });
      } catch (err) {
        out.push({ path, message: `${r.message} (rule could not be evaluated: ${(err as Error).message})` });
        continue;
      }
      if (ok !== true) out.push({ path, message: r.message });
    }
    if (Array.isArray(value)) {
      this.checkListType(node, value, path, out);
      const items = node.items;
      if (items) value.forEach((item, i) => this.walk(items, item, `${path}[${i}]`, out, evaluated));
    } else if (typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      const extra = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
      for (const [key, child] of Object.entries(obj)) {
        const schema = node.properties?.[key] ?? extra;
        if (schema) this.walk(schema, child, path ? `${path}.${key}` : key, out, evaluated);
      }
    }
  }

  private checkListType(node: KubeSchema, list: unknown[], path: string, out: RuleViolation[]): void {
    const type = node['x-kubernetes-list-type'];
    if (type !== 'map' && type !== 'set') return;
    const keys = node['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const id =
        type === 'set'
          ? JSON.stringify(item)
          : JSON.stringify(keys.map((k) => (item as Record<string, unknown> | null)?.[k]));
      if (seen.has(id)) {
        const what =
          type === 'set' ? `duplicate value ${JSON.stringify(item)}` : `duplicate entry for key ${id}`;
        out.push({ path: `${path}[${i}]`, message: what });
      }
      seen.add(id);
    });
  }
}

/** CEL has distinct int and double types: integers of `type: integer` fields become BigInt. */
function toCel(node: KubeSchema, value: unknown): unknown {
  if (node.type === 'integer' && typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return Array.from(value, (v: unknown) => (node.items ? toCel(node.items, v) : v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const child =
        node.properties?.[k] ??
        (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
      out[k] = child ? toCel(child, v) : v;
    }
    return out;
  }
  return value;
}
