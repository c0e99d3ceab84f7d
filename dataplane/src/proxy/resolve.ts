import { createHash, timingSafeEqual } from 'node:crypto';
import type {
  RuntimeConsumer,
  RuntimeGateway,
  RuntimeRoute,
  RuntimeTarget,
  Snapshot,
} from '../config/snapshot';
import { errors } from './errors';

/** Finds the gateway by X-AG-Gateway-Slug (unless the gateway is host-only), then by Host. */
export function findGateway(
  snapshot: Snapshot,
  slugHeader: string | undefined,
  host: string | undefined,
): RuntimeGateway {
  if (slugHeader) {
    const g = snapshot.gatewaysBySlug.get(slugHeader);
    if (g && g.config.discovery === 'HeaderThenHost') return g;
  }
  if (host) {
    const g = snapshot.gatewaysByHost.get(hostWithoutPort(host));
    if (g) return g;
  }
  throw errors.unknownGateway();
}

function hostWithoutPort(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function findConsumer(gateway: RuntimeGateway, slug: string): RuntimeConsumer {
  const c = gateway.consumersBySlug.get(slug);
  if (!c) throw errors.unknownConsumer(slug);
  return c;
}

/** The caller's key, from the first of the three accepted headers that is present. */
export function presentedKey(headers: { header(name: string): string | undefined }): string | undefined {
  const ag = headers.header('x-ag-api-key');
  if (ag) return ag.trim();
  const auth = headers.header('authorization');
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1]) return m[1].trim();
  }
  const x = headers.header('x-api-key');
  if (x) return x.trim();
  return undefined;
}

/**
 * Keys are only held as SHA-256 digests; the presented key's digest is compared with every one of
 * the consumer's in constant time, so timing reveals neither which nor how much matched. Returns the
 * digest (what plugins may key on; the key itself goes no further).
 */
export function authenticate(consumer: RuntimeConsumer, key: string | undefined): Buffer {
  if (!key) throw errors.missingKey();
  const digest = createHash('sha256').update(key).digest();
  let ok = false;
  for (const h of consumer.keyHashes) {
    if (h.length === digest.length && timingSafeEqual(h, digest)) ok = true;
  }
  if (ok) return digest;
  if (consumer.gateway.consumersByKeyHash.has(digest.toString('hex'))) {
    throw errors.wrongConsumer(consumer.config.slug);
  }
  throw errors.invalidKey();
}

export function findRoute(consumer: RuntimeConsumer, model: string): RuntimeRoute {
  const route = consumer.routes.get(model) ?? consumer.catchAll;
  if (!route) throw errors.unknownModel(model);
  return route;
}

/** Weighted choice over all targets, health ignored; `random` in [0, 1). `routing/dispatch` is health-aware. */
export function pickTarget(
  route: Pick<RuntimeRoute, 'model' | 'targets' | 'cumulativeWeights' | 'totalWeight'>,
  random: number,
): RuntimeTarget | undefined {
  const n = route.targets.length;
  if (n === 0) return undefined;
  if (n === 1) return route.targets[0];
  const point = random * route.totalWeight;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (point < (route.cumulativeWeights[mid] ?? 0)) hi = mid;
    else lo = mid + 1;
  }
  return route.targets[lo];
}

/** The model name sent upstream: the target's fixed model or the requested one, then the registry's aliases. */
export function upstreamModel(target: RuntimeTarget, requested: string): string {
  const name = target.model ?? requested;
  return target.registry.aliases[name] ?? name;
}
