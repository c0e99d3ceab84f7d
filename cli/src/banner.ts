import type { AnyResource, CompiledConsumer, CompiledGateway } from '@tollgate/protocol';

/** The environment variable the banner's curl command reads the API key from. */
export const KEY_VARIABLE = 'TOLLGATE_API_KEY';

/** A word for a POSIX shell, single-quoted. */
function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** What a browser or curl on this machine dials for a listen address. */
export function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The line `tollgate run` prints once it listens: the proxy's URL and a curl command that works
 * against the loaded config (the first consumer with an API key and a named model). The key itself
 * is never printed: the command reads it from $TOLLGATE_API_KEY.
 */
export function listeningBanner(resources: readonly AnyResource[], host: string, port: number): string {
  const base = `http://${dialHost(host)}:${port}`;
  const gateways = new Map<string, CompiledGateway>();
  for (const r of resources) if (r.kind === 'Gateway') gateways.set(r.name, r.body);
  for (const r of resources) {
    if (r.kind !== 'Consumer') continue;
    const consumer: CompiledConsumer = r.body;
    const gateway = gateways.get(consumer.gateway);
    const route = consumer.routes.find((x) => x.model !== '*' && x.targets.length > 0);
    if (!gateway || !route || consumer.apiKeyHashes.length === 0) continue;
    const find =
      gateway.discovery === 'HostOnly' && gateway.hostnames[0]
        ? `Host: ${gateway.hostnames[0]}`
        : `X-AG-Gateway-Slug: ${gateway.slug}`;
    const body = JSON.stringify({ model: route.model, messages: [{ role: 'user', content: 'Hello' }] });
    const curl = [
      `curl -s ${base}/${consumer.slug}/v1/chat/completions`,
      `-H ${shq(find)}`,
      `-H "Authorization: Bearer $${KEY_VARIABLE}"`,
      `-H 'Content-Type: application/json'`,
      `-d ${shq(body)}`,
    ].join(' ');
    return `listening on ${base} — try: ${curl}  (${KEY_VARIABLE}: an API key of consumer ${r.name})`;
  }
  return `listening on ${base}`;
}
