import { KINDS, type Secret, type TollgateObject } from '../api/v1alpha1';
import type { CompileInput } from '../compile';

export type WatchedKind = TollgateObject['kind'] | 'Secret';
export type WatchedObject = TollgateObject | Secret;

/**
 * The controller's view of the cluster: the objects compile reads, kept by kind and `{ns}/{name}`.
 * Informers feed it; `changed` says whether an event can affect compile output, so a Secret nobody
 * references, or a status-only update of our own objects, never triggers a recompile.
 */
export class ObjectStore {
  private readonly objects = new Map<WatchedKind, Map<string, WatchedObject>>();
  private referenced = new Set<string>();

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
    const changed = !previous || !sameSpec(previous as TollgateObject, obj);
    if (changed) this.referenced = referencedSecrets(this.tollgateObjects());
    return changed;
  }

  /** Records a deletion; returns true when compile output may change. */
  delete(obj: WatchedObject): boolean {
    const key = keyOf(obj);
    const existed = this.objects.get(obj.kind)?.delete(key) ?? false;
    if (!existed) return false;
    if (obj.kind === 'Secret') return this.referenced.has(key);
    this.referenced = referencedSecrets(this.tollgateObjects());
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

/** `{ns}/{name}` of every Secret a Registry or Consumer names. */
function referencedSecrets(objects: readonly TollgateObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    const ns = o.metadata.namespace ?? 'default';
    if (o.kind === 'Registry') {
      if (o.spec?.credentials?.secretRef) out.add(`${ns}/${o.spec.credentials.secretRef.name}`);
      for (const ref of Object.values(o.spec?.bedrock?.accessKeys ?? {})) out.add(`${ns}/${ref.name}`);
    }
    if (o.kind === 'Consumer')
      for (const k of o.spec?.credentials?.apiKeys ?? []) out.add(`${ns}/${k.secretRef.name}`);
  }
  return out;
}

/** Compile reads spec, generation, creation time, name and namespace: status writes are not changes. */
function sameSpec(a: TollgateObject, b: TollgateObject): boolean {
  return (
    a.metadata.generation === b.metadata.generation &&
    a.metadata.creationTimestamp === b.metadata.creationTimestamp &&
    JSON.stringify(a.spec) === JSON.stringify(b.spec)
  );
}

function sameSecret(a: Secret | undefined, b: Secret): boolean {
  return a !== undefined && JSON.stringify(a.data ?? {}) === JSON.stringify(b.data ?? {});
}
