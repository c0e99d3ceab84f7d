import { REDACTED, registrySecrets, type CompiledRegistry } from '@tollgate/protocol';
import { GatewayError } from '../errors/errors';

/**
 * Shorter values are not credentials worth the name, and replacing them would mangle ordinary
 * text (a registry whose key is `x` would lose every `x` of every answer).
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * Removes a registry's credentials from upstream text: an upstream that echoes the key it was sent
 * ("Incorrect API key: sk-…") must not hand it to the caller. Applied to whole units before the
 * gateway reads or cuts them (a whole body, a whole stream event, an error message), so a message
 * quoting the first 80 characters of an event cannot keep half a key. A pass over text that holds
 * no credential costs one `indexOf` per credential and copies nothing.
 */
export class Scrubber {
  private readonly needleBytes: Buffer[];

  constructor(private readonly needles: readonly string[]) {
    this.needleBytes = needles.map((n) => Buffer.from(n));
  }

  text(s: string): string {
    let out = s;
    for (const n of this.needles) if (out.includes(n)) out = out.replaceAll(n, REDACTED);
    return out;
  }

  /** `b` itself when it holds no credential. */
  bytes(b: Buffer): Buffer {
    for (const n of this.needleBytes) if (b.includes(n)) return Buffer.from(this.text(b.toString('utf8')));
    return b;
  }

  /** The same error, its message scrubbed (the error itself when there was nothing to remove). */
  error(e: GatewayError): GatewayError {
    const message = this.text(e.message);
    return message === e.message ? e : new GatewayError(e.status, e.code, message, e.headers, e.param);
  }
}

const cache = new WeakMap<CompiledRegistry, readonly string[]>();
const scrubbers = new WeakMap<CompiledRegistry, Scrubber | null>();

/**
 * What to look for in relayed text for one registry: each credential as it is and as JSON writes
 * it (escaped, `/` as `\/` too), and the private key inside a service-account key. Longest first,
 * so a credential containing another is removed whole. Computed once per compiled registry.
 */
export function needlesOf(registry: CompiledRegistry): readonly string[] {
  let needles = cache.get(registry);
  if (needles) return needles;
  const found = new Set<string>();
  const add = (s: unknown) => {
    if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) return;
    const escaped = JSON.stringify(s).slice(1, -1);
    for (const form of [s, escaped, escaped.replaceAll('/', '\\/')]) found.add(form);
  };
  for (const secret of registrySecrets(registry)) {
    add(secret);
    const key = serviceAccountKey(secret);
    if (key) {
      add(key.private_key);
      add(key.private_key_id);
    }
  }
  needles = [...found].sort((a, b) => b.length - a.length);
  cache.set(registry, needles);
  return needles;
}

/** A scrubber for the credentials of the registries a request tried; undefined when they carry none. */
export function scrubberFor(registries: readonly CompiledRegistry[]): Scrubber | undefined {
  if (registries.length === 1) {
    const registry = registries[0] as CompiledRegistry;
    let s = scrubbers.get(registry);
    if (s === undefined) {
      const needles = needlesOf(registry);
      scrubbers.set(registry, (s = needles.length === 0 ? null : new Scrubber(needles)));
    }
    return s ?? undefined;
  }
  const needles = [...new Set(registries.flatMap(needlesOf))].sort((a, b) => b.length - a.length);
  return needles.length === 0 ? undefined : new Scrubber(needles);
}

function serviceAccountKey(secret: string): Record<string, unknown> | undefined {
  if (!secret.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(secret);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
