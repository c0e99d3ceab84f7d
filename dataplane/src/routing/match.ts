import type { CompiledCondition } from '@tollgate/protocol';

/** A target's condition, prepared once per config: the path split, the values in a set. */
export type RuntimeCondition =
  | { readonly kind: 'header'; readonly name: string; readonly values: ReadonlySet<string> }
  | { readonly kind: 'field'; readonly path: readonly string[]; readonly values: ReadonlySet<string> };

/** What conditions look at: the request's headers (lower-case names) and its parsed JSON body. */
export interface MatchInput {
  readonly headers?: { header(name: string): string | undefined };
  readonly body?: Readonly<Record<string, unknown>>;
}

/** Compiled conditions → runtime ones; undefined for a target without any (always eligible). */
export function prepareConditions(
  match: readonly CompiledCondition[] | undefined,
): readonly RuntimeCondition[] | undefined {
  if (match === undefined || match.length === 0) return undefined;
  return match.map((c): RuntimeCondition => {
    const values = new Set(c.values);
    if (c.header !== undefined) return { kind: 'header', name: c.header.toLowerCase(), values };
    return { kind: 'field', path: c.field.split('.'), values };
  });
}

/** True when every condition holds for the request. Missing headers or body fail header/field conditions. */
export function matchesAll(conditions: readonly RuntimeCondition[], input: MatchInput): boolean {
  for (const c of conditions) {
    const actual = c.kind === 'header' ? input.headers?.header(c.name) : scalarAt(input.body, c.path);
    if (actual === undefined || !c.values.has(actual)) return false;
  }
  return true;
}

const INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * The value at a dotted path of a JSON value, as text when it is a string, number or boolean;
 * undefined otherwise. A segment steps into an object's own property, or a list's element by index.
 */
export function scalarAt(root: unknown, path: readonly string[]): string | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (Array.isArray(node)) {
      if (!INDEX.test(key)) return undefined;
      node = node[Number(key)];
    } else if (typeof node === 'object' && node !== null && Object.hasOwn(node, key)) {
      node = (node as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  return undefined;
}
