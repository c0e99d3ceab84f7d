import type { CompiledProvider, CompiledRegistry } from '@tollgate/protocol';
import {
  PROVIDERS,
  type ProviderType,
  type Registry,
  type RegistrySpec,
  type SecretKeyRef,
} from '../api/v1alpha1';
import { durationMs, nsName } from './common';
import { compileA2AAgent } from './a2a';
import { compileHealthCheck } from './health';
import { compileMcpServer, type CompileOptions } from './mcp';
import type { Refs } from './memo';
import { StatusBuilder } from './status';

/** Providers this release implements: every value of the CRD's enum. */
export const SUPPORTED_PROVIDERS: readonly ProviderType[] = PROVIDERS;

/** Each provider's public endpoint; `{region}`/`{location}` come from the provider's settings. */
const DEFAULT_BASE_URL: Partial<Record<CompiledProvider, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  bedrock: 'https://bedrock-runtime.{region}.amazonaws.com',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
  vertex: 'https://{location}-aiplatform.googleapis.com/v1',
  groq: 'https://api.groq.com/openai/v1',
  mistral: 'https://api.mistral.ai/v1',
  deepseek: 'https://api.deepseek.com/v1',
};
/** Providers that refuse to work without a credential (bedrock may use access keys instead). */
const NEEDS_CREDENTIALS: ReadonlySet<CompiledProvider> = new Set([
  'openai',
  'azure-openai',
  'anthropic',
  'gemini',
  'vertex',
  'groq',
  'mistral',
  'deepseek',
]);
export const AZURE_API_VERSION = '2024-10-21';
export const TIMEOUT_DEFAULTS = { connectMs: 10_000, requestMs: 300_000, idleMs: 60_000 };

export interface CompiledRegistries {
  /** Registries that can serve traffic, by `{namespace}/{name}`. */
  usable: Map<string, CompiledRegistry>;
  /** Every registry object by `{namespace}/{name}`, to tell "missing" from "not usable". */
  known: Set<string>;
  statuses: StatusBuilder[];
}

/** One Registry on its own: its problems and, when it can serve traffic, its body. */
export interface RegistryDraft {
  status: StatusBuilder;
  body?: CompiledRegistry;
}

export function compileRegistries(
  registries: readonly Registry[],
  draftOf: (r: Registry) => RegistryDraft,
): CompiledRegistries {
  const usable = new Map<string, CompiledRegistry>();
  const known = new Set<string>();
  const statuses: StatusBuilder[] = [];
  for (const r of registries) {
    const { status, body } = draftOf(r);
    statuses.push(status);
    known.add(nsName(r.metadata));
    if (body) usable.set(nsName(r.metadata), body);
  }
  return { usable, known, statuses };
}

export function compileRegistry(
  r: Registry,
  refs: Pick<Refs, 'secret'>,
  options: CompileOptions = {},
): RegistryDraft {
  const status = new StatusBuilder('Registry', r.metadata);
  const spec = r.spec ?? ({} as Registry['spec']);
  // The model-provider checks below see mcp as a provider with no defaults and no requirements.
  const provider = spec.provider as CompiledProvider;
  const isMcp = spec.provider === 'mcp';
  const isA2A = spec.provider === 'a2a';

  if (!SUPPORTED_PROVIDERS.includes(spec.provider)) {
    // Provider-specific checks would only add noise to an unsupported provider's condition.
    const why = (spec.provider as string) === 'a2a' ? ': the A2A endpoint is not served' : '';
    status.reject('Unsupported', `spec.provider: '${String(spec.provider)}' is not supported yet${why}`);
  }
  const mcp = compileMcpServer(status, spec, refs, options);
  const healthCheck = compileHealthCheck(status, spec.healthCheck, {
    provider,
    azureApiVersion: spec.azure?.apiVersion ?? AZURE_API_VERSION,
  });
  const a2a = compileA2AAgent(status, spec, refs);
  if (spec.mock !== undefined && provider !== 'mock') {
    status.reject('Invalid', "spec.mock: only allowed when spec.provider is 'mock'");
  }

  for (const block of ['azure', 'bedrock', 'vertex'] as const) {
    const owner = block === 'azure' ? 'azure-openai' : block;
    if (spec[block] !== undefined && provider !== owner)
      status.reject('Invalid', `spec.${block}: only allowed when spec.provider is '${owner}'`);
  }
  if (provider === 'bedrock' && !spec.bedrock)
    status.reject('Invalid', "spec.bedrock: required for provider 'bedrock'");
  if (provider === 'vertex' && !spec.vertex)
    status.reject('Invalid', "spec.vertex: required for provider 'vertex'");
  if (provider === 'bedrock' && spec.credentials && spec.bedrock?.accessKeys) {
    status.reject(
      'Invalid',
      'spec.bedrock.accessKeys: set either credentials (a Bedrock API key) or accessKeys, not both',
    );
  }
  if (provider === 'bedrock' && !spec.credentials && !spec.bedrock?.accessKeys) {
    status.reject(
      'Invalid',
      'spec.credentials: bedrock needs credentials (a Bedrock API key) or spec.bedrock.accessKeys',
    );
  }

  const supported = SUPPORTED_PROVIDERS.includes(spec.provider);
  let baseUrl = spec.baseUrl ?? defaultBaseUrl(provider, spec) ?? '';
  if (provider === 'mock' || isMcp || !supported) baseUrl = '';
  else if (!baseUrl) status.reject('Invalid', `spec.baseUrl: required for provider '${provider}'`);
  else if (!/^https?:\/\/[^/\s]+/.test(baseUrl))
    status.reject('Invalid', 'spec.baseUrl: must be an http(s) URL');
  baseUrl = baseUrl.replace(/\/+$/, '');

  if (NEEDS_CREDENTIALS.has(provider) && !spec.credentials) {
    status.reject('Invalid', `spec.credentials: required for provider '${provider}'`);
  }

  const models: string[] = [];
  const aliases: Record<string, string> = {};
  const names = new Set<string>();
  for (const m of spec.models ?? []) {
    if (names.has(m.name)) status.reject('Invalid', `spec.models: '${m.name}' is listed twice`);
    names.add(m.name);
    models.push(m.name);
  }
  for (const m of spec.models ?? []) {
    for (const a of m.aliases ?? []) {
      if (names.has(a))
        status.reject('Invalid', `spec.models: alias '${a}' of '${m.name}' is already a model or alias`);
      names.add(a);
      aliases[a] = m.name;
    }
  }

  const timeouts = {
    connectMs: durationMs(
      status,
      'spec.timeouts.connect',
      spec.timeouts?.connect,
      TIMEOUT_DEFAULTS.connectMs,
    ),
    requestMs: durationMs(
      status,
      'spec.timeouts.request',
      spec.timeouts?.request,
      TIMEOUT_DEFAULTS.requestMs,
    ),
    idleMs: durationMs(status, 'spec.timeouts.idle', spec.timeouts?.idle, TIMEOUT_DEFAULTS.idleMs),
  };

  let apiKey: string | undefined;
  if (spec.credentials) {
    const found = refs.secret(status.namespace, spec.credentials.secretRef, 'spec.credentials.secretRef');
    if (found.ok) apiKey = found.value.trim();
    else status.unresolvedRef(found.reason, found.message);
    if (apiKey !== undefined && provider === 'vertex') checkServiceAccountKey(status, apiKey);
  }

  let bedrock: CompiledRegistry['bedrock'];
  if (provider === 'bedrock' && spec.bedrock) {
    bedrock = { region: spec.bedrock.region };
    const keys = spec.bedrock.accessKeys;
    if (keys) {
      const read = (ref: SecretKeyRef, field: string): string | undefined => {
        const found = refs.secret(status.namespace, ref, `spec.bedrock.accessKeys.${field}`);
        if (found.ok) return found.value.trim();
        status.unresolvedRef(found.reason, found.message);
        return undefined;
      };
      const accessKeyId = read(keys.accessKeyIdSecretRef, 'accessKeyIdSecretRef');
      const secretAccessKey = read(keys.secretAccessKeySecretRef, 'secretAccessKeySecretRef');
      const sessionToken = keys.sessionTokenSecretRef
        ? read(keys.sessionTokenSecretRef, 'sessionTokenSecretRef')
        : undefined;
      bedrock = {
        ...bedrock,
        ...(accessKeyId ? { accessKeyId } : {}),
        ...(secretAccessKey ? { secretAccessKey } : {}),
        ...(sessionToken ? { sessionToken } : {}),
      };
    }
  }

  let mock: CompiledRegistry['mock'];
  if (provider === 'mock') {
    const s = spec.mock ?? {};
    const failureRate = s.failureRate ?? 0;
    if (failureRate < 0 || failureRate > 1)
      status.reject('Invalid', 'spec.mock.failureRate: must be within 0..1');
    mock = {
      latencyMs: durationMs(status, 'spec.mock.latency', s.latency, 0),
      chunkDelayMs: durationMs(status, 'spec.mock.chunkDelay', s.chunkDelay, 0),
      failureRate,
      failureStatus: s.failureStatus ?? 500,
      ...(s.reply !== undefined ? { reply: s.reply } : {}),
    };
  }

  if (!status.accepted || !status.resolved) return { status };
  return {
    status,
    body: {
      source: { namespace: status.namespace, name: r.metadata.name, generation: status.generation },
      provider: isMcp ? 'mcp' : isA2A ? 'a2a' : provider,
      baseUrl,
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(provider === 'azure-openai'
        ? { azure: { apiVersion: spec.azure?.apiVersion ?? AZURE_API_VERSION } }
        : {}),
      ...(bedrock ? { bedrock } : {}),
      ...(provider === 'vertex' && spec.vertex
        ? { vertex: { project: spec.vertex.project, location: spec.vertex.location } }
        : {}),
      models,
      aliases,
      timeouts,
      healthCheck,
      ...(mock ? { mock } : {}),
      ...(mcp ? { mcp } : {}),
      ...(a2a ? { a2a } : {}),
    },
  };
}

function defaultBaseUrl(provider: CompiledProvider, spec: RegistrySpec): string | undefined {
  const template = DEFAULT_BASE_URL[provider];
  if (provider === 'vertex' && spec.vertex?.location === 'global')
    return 'https://aiplatform.googleapis.com/v1';
  return template
    ?.replace('{region}', spec.bedrock?.region ?? '')
    .replace('{location}', spec.vertex?.location ?? '');
}

/** A Google service-account key, checked for shape only: its contents never reach a message. */
function checkServiceAccountKey(status: StatusBuilder, value: string): void {
  let key: unknown;
  try {
    key = JSON.parse(value);
  } catch {
    status.reject(
      'Invalid',
      'spec.credentials: for vertex the Secret must hold a service-account key (JSON)',
    );
    return;
  }
  const k = key as Record<string, unknown> | null;
  const fields = ['client_email', 'private_key', 'token_uri'];
  const missing = fields.filter((f) => typeof k?.[f] !== 'string' || k[f] === '');
  if (missing.length > 0)
    status.reject('Invalid', `spec.credentials: the service-account key lacks ${missing.join(', ')}`);
}
