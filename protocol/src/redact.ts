import type { AnyResource, CompiledRegistry } from './types';

/** What a secret is replaced with wherever it would be shown. */
export const REDACTED = '[redacted]';

/**
 * The one place that knows which compiled fields are secret. Used wherever compiled config is
 * shown to a person (config_dump, `tollgate compile`): credentials are replaced and API-key
 * digests reduced to a count.
 */
export function redactResource(r: AnyResource): unknown {
  switch (r.kind) {
    case 'Registry': {
      const { apiKey, bedrock, ...rest } = r.body;
      const body: Record<string, unknown> = apiKey === undefined ? rest : { ...rest, apiKey: REDACTED };
      if (bedrock) {
        const { secretAccessKey, sessionToken, ...keep } = bedrock;
        body.bedrock = {
          ...keep,
          ...(secretAccessKey === undefined ? {} : { secretAccessKey: REDACTED }),
          ...(sessionToken === undefined ? {} : { sessionToken: REDACTED }),
        };
      }
      return { ...r, body };
    }
    case 'Gateway': {
      const webhook = r.body.approvals?.webhook;
      if (!webhook) return r;
      const approvals = { ...r.body.approvals, webhook: { ...webhook, signingKey: REDACTED } };
      return { ...r, body: { ...r.body, approvals } };
    }
    case 'Consumer': {
      const { apiKeyHashes, ...rest } = r.body;
      return { ...r, body: { ...rest, apiKeys: apiKeyHashes.length } };
    }
    default:
      return r;
  }
}

/**
 * Every credential value a compiled Registry carries (its API key or service-account key, its AWS
 * keys): what must never reach a caller, even echoed back by the upstream.
 */
export function registrySecrets(r: CompiledRegistry): string[] {
  const out: string[] = [];
  if (r.apiKey) out.push(r.apiKey);
  const b = r.bedrock;
  if (b?.accessKeyId) out.push(b.accessKeyId);
  if (b?.secretAccessKey) out.push(b.secretAccessKey);
  if (b?.sessionToken) out.push(b.sessionToken);
  return out;
}
