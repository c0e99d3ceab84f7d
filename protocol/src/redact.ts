import type { AnyResource } from './types';

/**
 * The one place that knows which compiled fields are secret. Used wherever compiled config is
 * shown to a person (config_dump, `tollgate compile`): credentials are replaced and API-key
 * digests reduced to a count.
 */
export function redactResource(r: AnyResource): unknown {
  switch (r.kind) {
    case 'Registry': {
      const { apiKey, a2a, ...rest } = r.body;
      const body: Record<string, unknown> = apiKey === undefined ? rest : { ...rest, apiKey: '[redacted]' };
      if (a2a) body.a2a = { ...a2a, headers: redactValues(a2a.headers) };
      return { ...r, body };
    }
    case 'Consumer': {
      const { apiKeyHashes, ...rest } = r.body;
      return { ...r, body: { ...rest, apiKeys: apiKeyHashes.length } };
    }
    default:
      return r;
  }
}

function redactValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).map((k) => [k, '[redacted]']));
}
