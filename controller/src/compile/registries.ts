import type { CompiledProvider, CompiledRegistry } from '../../../protocol/src';
import type { Registry } from '../api/v1alpha1';
import { durationMs, nsName } from './common';
import type { SecretIndex } from './secrets';
import { StatusBuilder } from './status';

/** Providers this release implements; the rest of the CRD's enum is modelled but refused. */
export const SUPPORTED_PROVIDERS: readonly CompiledProvider[] = ['openai', 'openai-compatible', 'mock'];

const DEFAULT_BASE_URL: Partial<Record<CompiledProvider, string>> = { openai: 'https://api.openai.com/v1' };
export const TIMEOUT_DEFAULTS = { connectMs: 10_000, requestMs: 300_000, idleMs: 60_000 };

export interface CompiledRegistries {
  /** Registries that can serve traffic, by `{namespace}/{name}`. */
  usable: Map<string, CompiledRegistry>;
  /** Every registry object by `{namespace}/{name}`, to tell "missing" from "not usable". */
  known: Set<string>;
  statuses: StatusBuilder[];
}

export function compileRegistries(registries: readonly Registry[], secrets: SecretIndex): CompiledRegistries {
  const usable = new Map<string, CompiledRegistry>();
  const known = new Set<string>();
  const statuses: StatusBuilder[] = [];

  for (const r of registries) {
    const status = new StatusBuilder('Registry', r.metadata);
    statuses.push(status);
    known.add(nsName(r.metadata));
    const spec = r.spec ?? ({} as Registry['spec']);
    const provider = spec.provider as CompiledProvider;

    if (!SUPPORTED_PROVIDERS.includes(provider)) {
      // Provider-specific checks would only add noise to an unsupported provider's condition.
      status.reject('Unsupported', `spec.provider: '${String(spec.provider)}' is not supported yet`);
    }
    if (spec.healthCheck !== undefined) status.reject('Unsupported', 'spec.healthCheck is not supported yet');
    if (spec.mock !== undefined && provider !== 'mock') {
      status.reject('Invalid', "spec.mock: only allowed when spec.provider is 'mock'");
    }

    const supported = SUPPORTED_PROVIDERS.includes(provider);
    let baseUrl = spec.baseUrl ?? DEFAULT_BASE_URL[provider] ?? '';
    if (provider === 'mock' || !supported) baseUrl = '';
    else if (!baseUrl) status.reject('Invalid', `spec.baseUrl: required for provider '${provider}'`);
    else if (!/^https?:\/\/[^/\s]+/.test(baseUrl))
      status.reject('Invalid', 'spec.baseUrl: must be an http(s) URL');
    baseUrl = baseUrl.replace(/\/+$/, '');

    if (provider === 'openai' && !spec.credentials) {
      status.reject('Invalid', "spec.credentials: required for provider 'openai'");
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
      const found = secrets.lookup(
        status.namespace,
        spec.credentials.secretRef,
        'spec.credentials.secretRef',
      );
      if (found.ok) apiKey = found.value.trim();
      else status.unresolvedRef(found.reason, found.message);
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

    if (!status.accepted || !status.resolved) continue;
    usable.set(nsName(r.metadata), {
      source: { namespace: status.namespace, name: r.metadata.name, generation: status.generation },
      provider,
      baseUrl,
      ...(apiKey !== undefined ? { apiKey } : {}),
      models,
      aliases,
      timeouts,
      ...(mock ? { mock } : {}),
    });
  }
  return { usable, known, statuses };
}
