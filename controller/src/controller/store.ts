import { KINDS, type Secret, type TollgateObject } from '../api/v1alpha1';
import type { CompileInput } from '../compile';
import { sameSource } from '../compile/common';

export type WatchedKind = TollgateObject['kind'] | 'Secret';
export type WatchedObject = TollgateObject | Secret;

/**
 * The controller's view of the cluster: the objects compile reads, kept by kind and `{ns}/{name}`.
 * Informers feed it; `changed` says whether an event can affect compile output, so a Secret nobody
 * references, or a status-only update of our own objects, never triggers a recompile.
 */
export class ObjectStore {
  private readonly objects = new Map<WatchedKind, Map<string, WatchedObject>>();
  /** How many objects name each Secret, and which Secrets each object names. */
  private readonly referenced = new Map<string, number>();
  private readonly refsOf = new Map<string, readonly string[]>();

  constructor() {
    for (const kind of [...KINDS, 'Secret'] as const) this.objects.set(kind, new Map());
  }

  /** Records an add/update; returns true when compile output may change. */
  upsert(obj: WatchedObject): boolean {
    const key = keyOf(obj);
    const map = this.objects.get(obj.kind);
    if (!map) return false;
    const previous = map.get(key);
    map.set(key, obj);
    if (obj.kind === 'Secret') return this.referenced.has(key) && !sameSecret(previous as Secret, obj);
    const changed = !previous || !sameSource(previous as TollgateObject, obj);
    if (changed) this.setRefs(`${obj.kind}/${key}`, secretsNamedBy(obj));
    return changed;
  }

  /** Records a deletion; returns true when compile output may change. */
  delete(obj: WatchedObject): boolean {
    const key = keyOf(obj);
    const existed = this.objects.get(obj.kind)?.delete(key) ?? false;
    if (!existed) return false;
    if (obj.kind === 'Secret') return this.referenced.has(key);
    this.setRefs(`${obj.kind}/${key}`, []);
    return true;
  }

  get(kind: WatchedKind, namespace: string, name: string): WatchedObject | undefined {
    return this.objects.get(kind)?.get(`${namespace}/${name}`);
  }

  input(): CompileInput {
    const secrets = [...(this.objects.get('Secret')?.values() ?? [])].filter((s) =>
      this.referenced.has(keyOf(s)),
    ) as Secret[];
    return { objects: this.tollgateObjects(), secrets };
  }

  private setRefs(owner: string, secrets: readonly string[]): void {
    for (const s of this.refsOf.get(owner) ?? []) {
      const n = (this.referenced.get(s) ?? 0) - 1;
      if (n > 0) this.referenced.set(s, n);
      else this.referenced.delete(s);
    }
    for (const s of secrets) this.referenced.set(s, (this.referenced.get(s) ?? 0) + 1);
    if (secrets.length > 0) this.refsOf.set(owner, secrets);
    else this.refsOf.delete(owner);
  }

  private tollgateObjects(): TollgateObject[] {
    const out: TollgateObject[] = [];
    for (const kind of KINDS)
      for (const o of this.objects.get(kind)?.values() ?? []) out.push(o as TollgateObject);
    return out;
  }
}

export function keyOf(obj: { metadata: { namespace?: string; name: string } }): string {
  return `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
}

/** `{ns}/{name}` of every Secret a Gateway, Registry or Consumer names, each once. */
function secretsNamedBy(o: TollgateObject): string[] {
  const out = new Set<string>();
  const ns = o.metadata.namespace ?? 'default';
  if (o.kind === 'Gateway')
    for (const k of o.spec?.mcp?.sessionKeys ?? []) out.add(`${ns}/${k.secretRef.name}`);
  if (o.kind === 'Registry') {
    if (o.spec?.credentials?.secretRef) out.add(`${ns}/${o.spec.credentials.secretRef.name}`);
    for (const ref of Object.values(o.spec?.bedrock?.accessKeys ?? {})) out.add(`${ns}/${ref.name}`);
    for (const v of [...(o.spec?.mcp?.headers ?? []), ...(o.spec?.mcp?.env ?? [])])
      if (v.secretRef) out.add(`${ns}/${v.secretRef.name}`);
  }
  if (o.kind === 'Consumer')
    for (const k of o.spec?.credentials?.apiKeys ?? []) out.add(`${ns}/${k.secretRef.name}`);
  // The approval webhook's signing key.
  const hook = o.kind === 'Gateway' ? o.spec?.mcp?.approvals?.webhook : undefined;
  if (hook?.secretRef) out.add(`${ns}/${hook.secretRef.name}`);
  return [...out];
}

function sameSecret(a: Secret | undefined, b: Secret): boolean {
  // The API server folds stringData into data; files given to standalone mode may carry either.
  return (
    a !== undefined &&
    JSON.stringify(a.data ?? {}) === JSON.stringify(b.data ?? {}) &&
    JSON.stringify(a.stringData ?? {}) === JSON.stringify(b.stringData ?? {})
  );
}
