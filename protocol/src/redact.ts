import type { AnyResource } from './types';

/**
 * The one place that knows which compiled fields are secret. Used wherever compiled config is
 * shown to a person (config_dump, `tollgate compile`): credentials are replaced and API-key
 * digests reduced to a count.
 */
export function redactResource(r: AnyResource): unknown {
  switch (r.kind) {
    case 'Registry': {
      const { apiKey, ...rest } = r.body;
      return { ...r, body: apiKey === undefined ? rest : { ...rest, apiKey: '[redacted]' } };
    }
    case 'Consumer': {
      const { apiKeyHashes, ...rest } = r.body;
      return { ...r, body: { ...rest, apiKeys: apiKeyHashes.length } };
    }
    default:
      return r;
  }
}
