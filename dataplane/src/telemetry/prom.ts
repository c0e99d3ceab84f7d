import type { Registry } from 'prom-client';

/**
 * `make` run once per prom registry: metrics register themselves on it, and two dataplanes (or
 * two policy engines) sharing one registry must not register the same names twice.
 */
export function perRegistry<T>(make: (registry: Registry) => T): (registry: Registry) => T {
  const made = new WeakMap<Registry, T>();
  return (registry) => {
    let m = made.get(registry);
    if (m === undefined) {
      m = make(registry);
      made.set(registry, m);
    }
    return m;
  };
}

/**
 * Labelled children cached by their label values joined into one key: prom-client otherwise hashes
 * the label set on every call, which the request path would pay once per request per metric. The
 * factory runs once per key; a hit allocates nothing.
 */
export class ChildCache<T> {
  private readonly children = new Map<string, T>();

  of(key: string, make: () => T): T {
    let child = this.children.get(key);
    if (child === undefined) {
      child = make();
      this.children.set(key, child);
    }
    return child;
  }
}
