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
 * Labelled children cached by their label values (up to five) joined into one key: prom-client
 * otherwise hashes the label set on every call, which the request path would pay once per request
 * per metric. The cache holds its factory, run once per label values: a hit allocates nothing but
 * the key (no closure per call).
 */
export class ChildCache<T> {
  private readonly children = new Map<string, T>();

  constructor(private readonly make: (a: string, b: string, c: string, d: string, e: string) => T) {}

  of(a: string, b = '', c = '', d = '', e = ''): T {
    const key = `${a}\u0000${b}\u0000${c}\u0000${d}\u0000${e}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.make(a, b, c, d, e);
      this.children.set(key, child);
    }
    return child;
  }
}
