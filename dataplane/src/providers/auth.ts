import { createHash } from 'node:crypto';
import type { CompiledRegistry } from '@tollgate/protocol';
import { signAwsRequest } from './aws/sigv4';
import { describeFailure } from './failure';
import { createServiceAccountTokenSource } from './google/token';
import type { AuthScheme } from './profiles';
import { UpstreamError } from './types';

/** The anthropic-version the gateway speaks when the caller did not name one. */
export const ANTHROPIC_VERSION = '2023-06-01';

export interface SignInput {
  scheme: AuthScheme;
  registry: CompiledRegistry;
  method: string;
  url: string;
  /** The headers to be sent; SigV4 signs them. */
  headers: Record<string, string>;
  body: Uint8Array | string | undefined;
}

export interface UpstreamAuth {
  /** Adds the credential headers to `input.headers`, in place. */
  apply(input: SignInput): void | Promise<void>;
}

/**
 * Puts each provider's credential where it wants it. Vertex access tokens are cached per
 * service-account key (by its digest: the key itself is not a map key that could be dumped).
 */
export function createUpstreamAuth(): UpstreamAuth {
  return new ProviderAuth();
}

/** A class, so every instance (the warm-up's, the real one) runs the same optimised `apply`. */
class ProviderAuth implements UpstreamAuth {
  private readonly tokenSources = new Map<string, { token(): Promise<string> }>();

  apply(input: SignInput): void | Promise<void> {
    const { registry, headers } = input;
    const key = registry.apiKey;
    switch (input.scheme) {
      case 'bearer':
        if (key) headers.authorization = `Bearer ${key}`;
        return;
      case 'api-key':
        if (key) headers['api-key'] = key;
        return;
      case 'anthropic':
        if (key) headers['x-api-key'] = key;
        headers['anthropic-version'] ??= ANTHROPIC_VERSION;
        return;
      case 'goog-api-key':
        if (key) headers['x-goog-api-key'] = key;
        return;
      case 'aws':
        return signAws(input);
      case 'google-oauth':
        if (!key) throw new UpstreamError('protocol', 'the registry has no service-account key');
        return this.googleToken(key, headers);
    }
  }

  private googleToken(keyJson: string, headers: Record<string, string>): Promise<void> {
    return this.tokenSource(keyJson)
      .token()
      .then(
        (token) => {
          headers.authorization = `Bearer ${token}`;
        },
        (err: unknown) => {
          const code = describeFailure(err).code;
          throw new UpstreamError(
            'connect',
            `could not get a Google access token: ${err instanceof Error ? err.message : String(err)}`,
            code === undefined ? { cause: err } : { cause: err, code },
          );
        },
      );
  }

  private tokenSource(keyJson: string) {
    const id = createHash('sha256').update(keyJson).digest('hex');
    let source = this.tokenSources.get(id);
    if (!source) {
      source = createServiceAccountTokenSource(keyJson);
      this.tokenSources.set(id, source);
    }
    return source;
  }
}

async function signAws(input: SignInput): Promise<void> {
  const { registry, headers } = input;
  if (registry.apiKey) {
    headers.authorization = `Bearer ${registry.apiKey}`; // a Bedrock API key
    return;
  }
  const b = registry.bedrock;
  if (!b?.accessKeyId || !b.secretAccessKey)
    throw new UpstreamError('protocol', 'the registry has no AWS credentials');
  const signed = await signAwsRequest({
    method: input.method,
    url: input.url,
    headers,
    body: input.body,
    region: b.region,
    service: 'bedrock',
    credentials: {
      accessKeyId: b.accessKeyId,
      secretAccessKey: b.secretAccessKey,
      ...(b.sessionToken ? { sessionToken: b.sessionToken } : {}),
    },
  });
  Object.assign(headers, signed);
}
