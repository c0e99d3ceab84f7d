import { encodeBody, resourceKey, TYPE_URLS, type AnyResource, type ResourceKind } from '@tollgate/protocol';

/** One resource as the stream sends it: the body already serialised once for every stream. */
export interface WireEntry {
  kind: ResourceKind;
  name: string;
  version: string;
  json: Buffer;
}

/** The resources one fleet receives, by type URL then name. */
export type FleetView = Map<string, Map<string, WireEntry>>;

/** Compiled bodies are never changed, and an unchanged one stays the same object: serialise each once. */
const wire = new WeakMap<object, Buffer>();
function wireOf(body: object): Buffer {
  let json = wire.get(body);
  if (!json) {
    json = encodeBody(body);
    wire.set(body, json);
  }
  return json;
}

/** Splits compiled resources by fleet; each body is serialised once, on the first config that has it. */
export function fleetViews(
  resources: readonly AnyResource[],
  fleets: Record<string, string[]>,
): Map<string, FleetView> {
  const byKey = new Map<string, WireEntry>();
  for (const r of resources) {
    byKey.set(resourceKey(r), {
      kind: r.kind,
      name: r.name,
      version: r.version,
      json: wireOf(r.body),
    });
  }
  const views = new Map<string, FleetView>();
  for (const [fleet, keys] of Object.entries(fleets)) {
    const view: FleetView = new Map(Object.values(TYPE_URLS).map((t) => [t, new Map()]));
    for (const key of keys) {
      const entry = byKey.get(key);
      if (entry) view.get(TYPE_URLS[entry.kind])?.set(entry.name, entry);
    }
    views.set(fleet, view);
  }
  return views;
}

export interface Delta {
  updated: WireEntry[];
  removed: string[];
}

/**
 * What a client that holds `known` (name → version) lacks of `desired`: changed or new resources,
 * and names it holds that are gone. Pure; the heart of "only differences are sent".
 */
export function diff(desired: ReadonlyMap<string, WireEntry>, known: ReadonlyMap<string, string>): Delta {
  const updated: WireEntry[] = [];
  for (const [name, entry] of desired) if (known.get(name) !== entry.version) updated.push(entry);
  const removed: string[] = [];
  for (const name of known.keys()) if (!desired.has(name)) removed.push(name);
  return { updated, removed };
}
