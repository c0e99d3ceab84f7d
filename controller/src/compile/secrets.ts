import type { Secret, SecretKeyRef } from '../api/v1alpha1';

export type SecretLookup =
  | { ok: true; value: string }
  | { ok: false; reason: 'SecretNotFound' | 'SecretKeyNotFound'; message: string };

/** Each Secret object's values, decoded once: objects are replaced, never changed, when a Secret is. */
const decoded = new WeakMap<Secret, Record<string, string>>();

function valuesOf(s: Secret): Record<string, string> {
  let values = decoded.get(s);
  if (!values) {
    values = {};
    for (const [k, v] of Object.entries(s.data ?? {})) values[k] = Buffer.from(v, 'base64').toString('utf8');
    Object.assign(values, s.stringData ?? {});
    decoded.set(s, values);
  }
  return values;
}

/** Decoded Secret values by `{namespace}/{name}`; `stringData` wins over `data`, as the API server merges it. */
export class SecretIndex {
  private readonly byName = new Map<string, Record<string, string>>();

  constructor(secrets: readonly Secret[]) {
    for (const s of secrets)
      this.byName.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, valuesOf(s));
  }

  /** Never puts the value in a message. */
  lookup(namespace: string, ref: SecretKeyRef, field: string): SecretLookup {
    const values = this.byName.get(`${namespace}/${ref.name}`);
    if (!values) {
      return { ok: false, reason: 'SecretNotFound', message: `${field}: Secret '${ref.name}' not found` };
    }
    const value = values[ref.key];
    if (value === undefined) {
      return {
        ok: false,
        reason: 'SecretKeyNotFound',
        message: `${field}: Secret '${ref.name}' has no key '${ref.key}'`,
      };
    }
    return { ok: true, value };
  }
}
