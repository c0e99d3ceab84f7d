import { POLICY_PLUGINS, type PolicyPlugins } from '../../api/v1alpha1';
import type { CompiledRegistry } from '@tollgate/protocol';
import { PROFILES } from '@tollgate/dataplane/providers/profiles';
import { StatusBuilder } from '../status';
import { compilePlugins, SUPPORTED_PLUGINS, type PluginRefs } from '.';
import { EMBEDDING_PROVIDERS } from '@tollgate/protocol';

function run(plugins: unknown) {
  const status = new StatusBuilder('Policy', { name: 'p', namespace: 'ns' });
  const out = compilePlugins(status, plugins as PolicyPlugins);
  const accepted = status.build().conditions[0];
  return { out, accepted: status.accepted, message: accepted?.message ?? '', reason: accepted?.reason };
}

describe('compilePlugins: accepted configurations, normalised', () => {
  it.each([
    [
      'rateLimit defaults',
      { rateLimit: { requests: 3, window: '1m' } },
      {
        rateLimit: {
          requests: 3,
          windowMs: 60_000,
          algorithm: 'SlidingWindow',
          key: 'Consumer',
          failureMode: 'FailOpen',
        },
      },
    ],
    [
      'rateLimit by header, lower-cased',
      {
        rateLimit: {
          requests: 1,
          window: '250ms',
          key: 'Header',
          header: 'X-Tenant',
          algorithm: 'TokenBucket',
          failureMode: 'FailClosed',
        },
      },
      {
        rateLimit: {
          requests: 1,
          windowMs: 250,
          algorithm: 'TokenBucket',
          key: 'Header',
          header: 'x-tenant',
          failureMode: 'FailClosed',
        },
      },
    ],
    ['requestSize, one field', { requestSize: { maxMessages: 4 } }, { requestSize: { maxMessages: 4 } }],
    [
      'cors defaults',
      { cors: { allowOrigins: ['https://A.example.com:8443'] } },
      {
        cors: {
          allowOrigins: ['https://a.example.com:8443'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['*'],
          exposeHeaders: [],
          allowCredentials: false,
        },
      },
    ],
    [
      'cors: IPv6 and custom schemes, duplicates dropped, "*" alone',
      {
        cors: {
          allowOrigins: ['http://[::1]:3000', 'capacitor://localhost', 'http://[::1]:3000'],
          allowMethods: ['post', 'POST', '*'],
          allowHeaders: [],
          exposeHeaders: ['*'],
          maxAge: '90s',
        },
      },
      {
        cors: {
          allowOrigins: ['http://[::1]:3000', 'capacitor://localhost'],
          allowMethods: ['POST', '*'],
          allowHeaders: [],
          exposeHeaders: ['*'],
          allowCredentials: false,
          maxAgeMs: 90_000,
        },
      },
    ],
    [
      'cors: "*" among origins admits all',
      { cors: { allowOrigins: ['https://a.example.com', '*'], allowCredentials: true } },
      {
        cors: {
          allowOrigins: ['*'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['*'],
          exposeHeaders: [],
          allowCredentials: true,
        },
      },
    ],
  ])('%s', (_name, plugins, expected) => {
    const r = run(plugins);
    expect(r.message).toBe('Policy is valid');
    expect(r.out).toEqual(expected);
  });
});

describe('compilePlugins: refused configurations, with precise messages', () => {
  it.each([
    ['no plugin', {}, 'Invalid', 'spec.plugins: at least one plugin is required'],
    ['unknown plugin', { waf: {} }, 'Invalid', 'spec.plugins.waf: unknown plugin'],
    ['plugin not an object', { cors: 'yes' }, 'Invalid', 'spec.plugins.cors: must be an object'],
    [
      'fractional requests',
      { rateLimit: { requests: 1.5, window: '1s' } },
      'Invalid',
      'spec.plugins.rateLimit.requests: must be a whole number >= 1',
    ],
    [
      'unparsable window',
      { rateLimit: { requests: 1, window: '1d' } },
      'Invalid',
      "spec.plugins.rateLimit.window: '1d' is not a duration (e.g. 500ms, 30s, 5m)",
    ],
    [
      'window rounding to zero',
      { rateLimit: { requests: 1, window: '0.2ms' } },
      'Invalid',
      "spec.plugins.rateLimit.window: '0.2ms' must be at least 1ms",
    ],
    [
      'a limit too fine to count exactly',
      { rateLimit: { requests: 2 ** 40, window: '1h' } },
      'Invalid',
      'is too fine to count exactly',
    ],
    [
      'unknown key',
      { rateLimit: { requests: 1, window: '1s', key: 'User' } },
      'Invalid',
      "spec.plugins.rateLimit.key: 'User' must be one of Consumer, Gateway, APIKey, ClientIP, Header",
    ],
    [
      'bad header name',
      { rateLimit: { requests: 1, window: '1s', key: 'Header', header: 'x user' } },
      'Invalid',
      "spec.plugins.rateLimit.header: 'x user' is not a valid header name",
    ],
    [
      'maxMessages over int32',
      { requestSize: { maxMessages: 2 ** 31 } },
      'Invalid',
      'spec.plugins.requestSize.maxMessages: must be a whole number from 1 to 2147483647',
    ],
    [
      'maxBodyBytes zero',
      { requestSize: { maxBodyBytes: 0 } },
      'Invalid',
      'spec.plugins.requestSize.maxBodyBytes: must be a whole number >= 1',
    ],
    [
      'no origins',
      { cors: { allowOrigins: [] } },
      'Invalid',
      'spec.plugins.cors.allowOrigins: at least one origin is required',
    ],
    [
      'origin with a query',
      { cors: { allowOrigins: ['https://a.example.com?x=1'] } },
      'Invalid',
      "spec.plugins.cors.allowOrigins[0]: 'https://a.example.com?x=1' is not an origin",
    ],
    [
      'unparsable maxAge',
      { cors: { allowOrigins: ['*'], maxAge: 'forever' } },
      'Invalid',
      "spec.plugins.cors.maxAge: 'forever' is not a duration",
    ],
  ])('%s', (_name, plugins, reason, message) => {
    const r = run(plugins);
    expect(r.accepted).toBe(false);
    expect(r.reason).toBe(reason);
    expect(r.message).toContain(message);
  });
});

describe('compilePlugins: semanticCache', () => {
  const registry = (provider: CompiledRegistry['provider'], models: string[] = []): CompiledRegistry => ({
    source: { namespace: 'ns', name: 'x', generation: 1 },
    provider,
    baseUrl: '',
    models,
    aliases: { small: 'text-embedding-3-small' },
    timeouts: { connectMs: 1, requestMs: 1, idleMs: 1 },
  });
  const usable = new Map([
    ['ns/embedder', registry('openai', ['text-embedding-3-small'])],
    ['ns/mock', registry('mock')],
    ['ns/claude', registry('anthropic')],
  ]);
  const refs: PluginRefs = {
    namespace: 'ns',
    registry: (name) => usable.get(name) ?? (name === 'ns/broken' ? 'rejected' : 'missing'),
  };
  function compileCache(semanticCache: unknown, extra: Record<string, unknown> = {}) {
    const status = new StatusBuilder('Policy', { name: 'p', namespace: 'ns' });
    const out = compilePlugins(status, { semanticCache, ...extra } as PolicyPlugins, refs);
    const [accepted, resolved] = status.build().conditions;
    return { out, accepted, resolved };
  }

  it('applies the defaults and names the Registry in the namespace', () => {
    const r = compileCache({ embeddingRegistryRef: { name: 'mock' }, embeddingModel: 'any' });
    expect(r.accepted?.status).toBe('True');
    expect(r.resolved?.status).toBe('True');
    expect(r.out).toEqual({
      semanticCache: {
        embeddingRegistry: 'ns/mock',
        embeddingModel: 'any',
        threshold: 0.95,
        ttlMs: 3_600_000,
        scope: 'Consumer',
      },
    });
  });

  it('keeps the settings given; an alias of a served model is served', () => {
    const r = compileCache({
      embeddingRegistryRef: { name: 'embedder' },
      embeddingModel: 'small',
      threshold: 0.8,
      ttl: '90s',
      scope: 'Gateway',
    });
    expect(r.accepted?.message).toBe('Policy is valid');
    expect(r.out.semanticCache).toEqual({
      embeddingRegistry: 'ns/embedder',
      embeddingModel: 'small',
      threshold: 0.8,
      ttlMs: 90_000,
      scope: 'Gateway',
    });
  });

  it.each([
    [
      'a threshold above 1',
      { threshold: 1.2 },
      "spec.plugins.semanticCache.threshold: '1.2' must be a number from 0 to 1",
    ],
    [
      'a ttl under a second',
      { ttl: '500ms' },
      "spec.plugins.semanticCache.ttl: '500ms' must be from 1s to 720h (30 days)",
    ],
    [
      'a ttl over 30 days',
      { ttl: '721h' },
      "spec.plugins.semanticCache.ttl: '721h' must be from 1s to 720h (30 days)",
    ],
    ['an unparsable ttl', { ttl: '1d' }, "spec.plugins.semanticCache.ttl: '1d' is not a duration"],
    [
      'an unknown scope',
      { scope: 'APIKey' },
      "spec.plugins.semanticCache.scope: 'APIKey' must be one of Consumer, Gateway",
    ],
    ['no model', { embeddingModel: '' }, 'spec.plugins.semanticCache.embeddingModel: required'],
    [
      'a model the Registry does not serve',
      { embeddingModel: 'text-embedding-3-large' },
      "spec.plugins.semanticCache.embeddingModel: Registry 'embedder' does not serve model 'text-embedding-3-large'",
    ],
    [
      'a Registry that does not serve embeddings',
      { embeddingRegistryRef: { name: 'claude' } },
      "spec.plugins.semanticCache.embeddingRegistryRef: Registry 'claude' (provider anthropic) does not serve embeddings",
    ],
  ])('refuses %s', (_name, over, message) => {
    const r = compileCache({
      embeddingRegistryRef: { name: 'embedder' },
      embeddingModel: 'text-embedding-3-small',
      ...over,
    });
    expect(r.accepted?.status).toBe('False');
    expect(r.accepted?.reason).toBe('Invalid');
    expect(r.accepted?.message).toContain(message);
  });

  it.each([
    ['missing', 'ghost', 'RefNotFound', "Registry 'ghost' not found; the cache is off"],
    ['not usable', 'broken', 'RefNotAccepted', "Registry 'broken' is not usable (see its conditions)"],
  ])(
    'leaves the cache out when its Registry is %s, keeping the other plugins',
    (_n, name, reason, message) => {
      const r = compileCache(
        { embeddingRegistryRef: { name }, embeddingModel: 'e' },
        { requestSize: { maxMessages: 3 } },
      );
      expect(r.accepted?.status).toBe('True');
      expect(r.resolved?.status).toBe('False');
      expect(r.resolved?.reason).toBe(reason);
      expect(r.resolved?.message).toContain(message);
      expect(r.out).toEqual({ requestSize: { maxMessages: 3 } });
    },
  );

  it('knows the providers the proxy embeds with: those whose profile has an embeddings path, and mock', () => {
    const served = Object.entries(PROFILES)
      .filter(([, p]) => p.embeddings !== undefined)
      .map(([name]) => name);
    expect([...EMBEDDING_PROVIDERS].sort()).toEqual([...served, 'mock'].sort());
  });
});

describe('compilePlugins: tokenRateLimit and budget', () => {
  it.each([
    [
      'tokenRateLimit defaults',
      { tokenRateLimit: { tokens: 10_000, window: '1m' } },
      {
        tokenRateLimit: {
          tokens: 10_000,
          windowMs: 60_000,
          estimatePrompt: false,
          key: 'Consumer',
          failureMode: 'FailOpen',
        },
      },
    ],
    [
      'tokenRateLimit by header, estimating prompts, fail closed',
      {
        tokenRateLimit: {
          tokens: 2 ** 33,
          window: '24h',
          estimatePrompt: true,
          key: 'Header',
          header: 'X-Tenant',
          failureMode: 'FailClosed',
        },
      },
      {
        tokenRateLimit: {
          tokens: 2 ** 33,
          windowMs: 86_400_000,
          estimatePrompt: true,
          key: 'Header',
          header: 'x-tenant',
          failureMode: 'FailClosed',
        },
      },
    ],
    [
      'budget: exact micro-dollars, cached price defaulted to input, prices sorted',
      {
        budget: {
          amountUSD: '1000000',
          period: 'Week',
          scope: 'APIKey',
          softLimitPercent: 80,
          downgradeModel: 'gpt-4o-mini',
          prices: [
            { model: 'gpt-4o-mini', inputPerMTok: '0.15', outputPerMTok: '0.6', cachedInputPerMTok: '0.075' },
            { model: 'gpt-4o', inputPerMTok: '2.50', outputPerMTok: '10' },
            { model: 'free', inputPerMTok: '0', outputPerMTok: '0.000001' },
          ],
        },
      },
      {
        budget: {
          amountMicroUSD: 1_000_000_000_000,
          period: 'Week',
          scope: 'APIKey',
          softLimit: { percent: 80, downgradeModel: 'gpt-4o-mini' },
          prices: [
            {
              model: 'free',
              inputMicroUSDPerMTok: 0,
              outputMicroUSDPerMTok: 1,
              cachedInputMicroUSDPerMTok: 0,
            },
            {
              model: 'gpt-4o',
              inputMicroUSDPerMTok: 2_500_000,
              outputMicroUSDPerMTok: 10_000_000,
              cachedInputMicroUSDPerMTok: 2_500_000,
            },
            {
              model: 'gpt-4o-mini',
              inputMicroUSDPerMTok: 150_000,
              outputMicroUSDPerMTok: 600_000,
              cachedInputMicroUSDPerMTok: 75_000,
            },
          ],
        },
      },
    ],
    [
      'budget defaults: per consumer, no soft limit; 0.1 + 0.2 is exactly 300000 micro-dollars',
      {
        budget: {
          amountUSD: '0.3',
          period: 'Hour',
          prices: [{ model: 'm', inputPerMTok: '0.1', outputPerMTok: '0.2' }],
        },
      },
      {
        budget: {
          amountMicroUSD: 300_000,
          period: 'Hour',
          scope: 'Consumer',
          prices: [
            {
              model: 'm',
              inputMicroUSDPerMTok: 100_000,
              outputMicroUSDPerMTok: 200_000,
              cachedInputMicroUSDPerMTok: 100_000,
            },
          ],
        },
      },
    ],
  ])('%s', (_name, plugins, expected) => {
    const r = run(plugins);
    expect(r.message).toBe('Policy is valid');
    expect(r.out).toEqual(expected);
  });

  const price = { model: 'm', inputPerMTok: '1', outputPerMTok: '2' };
  it.each([
    [
      'tokens over 2^33',
      { tokenRateLimit: { tokens: 2 ** 33 + 1, window: '1m' } },
      'spec.plugins.tokenRateLimit.tokens: must be a whole number from 1 to 8589934592',
    ],
    [
      'a token window over 366 days',
      { tokenRateLimit: { tokens: 10, window: '8785h' } },
      "spec.plugins.tokenRateLimit.window: '8785h' is longer than 366 days (use a budget)",
    ],
    [
      'a token limit by header without the header',
      { tokenRateLimit: { tokens: 10, window: '1m', key: 'Header' } },
      'spec.plugins.tokenRateLimit.header: required when key is Header',
    ],
    [
      'a header on a consumer-keyed token limit',
      { tokenRateLimit: { tokens: 10, window: '1m', header: 'x-user' } },
      'spec.plugins.tokenRateLimit.header: only used when key is Header (key is Consumer)',
    ],
    [
      'estimatePrompt not a boolean',
      { tokenRateLimit: { tokens: 10, window: '1m', estimatePrompt: 'yes' } },
      'spec.plugins.tokenRateLimit.estimatePrompt: must be true or false',
    ],
    [
      'a zero budget',
      { budget: { amountUSD: '0.000000', period: 'Day', prices: [price] } },
      'spec.plugins.budget.amountUSD: must be more than 0',
    ],
    [
      'a budget over $1,000,000',
      { budget: { amountUSD: '1000000.000001', period: 'Day', prices: [price] } },
      "spec.plugins.budget.amountUSD: '1000000.000001' is more than $1,000,000",
    ],
    [
      'an amount in scientific notation',
      { budget: { amountUSD: '1e3', period: 'Day', prices: [price] } },
      "spec.plugins.budget.amountUSD: '1e3' is not a decimal number of dollars",
    ],
    [
      'an unknown period',
      { budget: { amountUSD: '5', period: 'Year', prices: [price] } },
      "spec.plugins.budget.period: 'Year' must be one of Hour, Day, Week, Month",
    ],
    [
      'no prices',
      { budget: { amountUSD: '5', period: 'Day' } },
      'spec.plugins.budget.prices: at least one model price is required',
    ],
    [
      'a model priced twice',
      { budget: { amountUSD: '5', period: 'Day', prices: [price, { ...price, inputPerMTok: '3' }] } },
      "spec.plugins.budget.prices[1].model: 'm' is priced twice",
    ],
    [
      'a price with more than 6 decimals',
      { budget: { amountUSD: '5', period: 'Day', prices: [{ ...price, outputPerMTok: '0.0000001' }] } },
      "spec.plugins.budget.prices[0].outputPerMTok: '0.0000001' has more than 6 decimals",
    ],
    [
      'a price over $10,000 per million tokens',
      { budget: { amountUSD: '5', period: 'Day', prices: [{ ...price, cachedInputPerMTok: '10000.5' }] } },
      "spec.plugins.budget.prices[0].cachedInputPerMTok: '10000.5' is more than $10,000",
    ],
    [
      'a negative price',
      { budget: { amountUSD: '5', period: 'Day', prices: [{ ...price, inputPerMTok: '-1' }] } },
      "spec.plugins.budget.prices[0].inputPerMTok: '-1' is not a decimal number of dollars",
    ],
    [
      'a soft limit without its downgrade model',
      { budget: { amountUSD: '5', period: 'Day', softLimitPercent: 80, prices: [price] } },
      'spec.plugins.budget.downgradeModel: required with softLimitPercent',
    ],
    [
      'a downgrade model without a soft limit',
      { budget: { amountUSD: '5', period: 'Day', downgradeModel: 'small', prices: [price] } },
      'spec.plugins.budget.downgradeModel: only used with softLimitPercent',
    ],
    [
      'a soft limit at 100%, where the hard limit refuses first',
      {
        budget: {
          amountUSD: '5',
          period: 'Day',
          softLimitPercent: 100,
          downgradeModel: 'small',
          prices: [price],
        },
      },
      'spec.plugins.budget.softLimitPercent: must be a whole number from 1 to 99',
    ],
  ])('refuses %s', (_name, plugins, message) => {
    const r = run(plugins);
    expect(r.accepted).toBe(false);
    expect(r.reason).toBe('Invalid');
    expect(r.message).toContain(message);
  });
});

describe('compilePlugins: promptGuard', () => {
  it('leaves no plugin of the CRD unsupported', () => {
    expect([...SUPPORTED_PLUGINS].sort()).toEqual([...POLICY_PLUGINS].sort());
  });

  it.each([
    [
      'defaults: Reject, on requests',
      { promptGuard: { detectors: ['Email'] } },
      { action: 'Reject', detectors: ['Email'], patterns: [], applyTo: ['Request'] },
    ],
    [
      'sets in canonical order, duplicates dropped; webhook defaults (2s, FailClosed), URL normalised',
      {
        promptGuard: {
          action: 'Mask',
          detectors: ['IBAN', 'Email', 'SSN', 'Email'],
          patterns: [
            { name: 'employee-id', regex: 'EMP-[0-9]{4}' },
            { name: 'host', regex: '([a-z0-9-]+\\.)+corp' },
          ],
          applyTo: ['Response', 'Request', 'Response'],
          webhook: { url: 'HTTPS://Guard.Example.com:8443/check?v=1' },
        },
      },
      {
        action: 'Mask',
        detectors: ['Email', 'SSN', 'IBAN'],
        patterns: [
          { name: 'employee-id', regex: 'EMP-[0-9]{4}' },
          { name: 'host', regex: '([a-z0-9-]+\\.)+corp' },
        ],
        applyTo: ['Request', 'Response'],
        webhook: {
          url: 'https://guard.example.com:8443/check?v=1',
          timeoutMs: 2000,
          failureMode: 'FailClosed',
        },
      },
    ],
    [
      'a webhook alone, with its own timeout and failure mode',
      {
        promptGuard: { webhook: { url: 'http://guard.internal', timeout: '150ms', failureMode: 'FailOpen' } },
      },
      {
        action: 'Reject',
        detectors: [],
        patterns: [],
        applyTo: ['Request'],
        webhook: { url: 'http://guard.internal/', timeoutMs: 150, failureMode: 'FailOpen' },
      },
    ],
  ])('accepts %s', (_name, plugins, expected) => {
    const r = run(plugins);
    expect(r.message).toBe('Policy is valid');
    expect(r.out).toEqual({ promptGuard: expected });
  });

  const at = 'spec.plugins.promptGuard';
  it.each([
    [
      'nothing to look for',
      { action: 'Mask' },
      `${at}: at least one of detectors, patterns or webhook is required`,
    ],
    [
      'an unknown detector',
      { detectors: ['Passport'] },
      `${at}.detectors[0]: 'Passport' must be one of Email, Phone`,
    ],
    [
      'an unknown action',
      { action: 'Block', detectors: ['SSN'] },
      `${at}.action: 'Block' must be one of Mask, Reject`,
    ],
    [
      'applyTo empty',
      { detectors: ['SSN'], applyTo: [] },
      `${at}.applyTo: at least one of Request, Response`,
    ],
    [
      'a regex that does not compile, with the engine’s message',
      { patterns: [{ name: 'x', regex: '(unclosed' }] },
      `${at}.patterns[0].regex: Invalid regular expression: /(unclosed/gu: Unterminated group`,
    ],
    [
      'a regex only the u flag refuses',
      { patterns: [{ name: 'x', regex: '\\-a{' }] },
      `${at}.patterns[0].regex: Invalid regular expression`,
    ],
    [
      'a regex matching the empty string',
      { patterns: [{ name: 'x', regex: '[0-9]*' }] },
      `${at}.patterns[0].regex: matches the empty string`,
    ],
    [
      'a regex matching the empty string only somewhere',
      { patterns: [{ name: 'x', regex: '\\b' }] },
      `${at}.patterns[0].regex: matches the empty string`,
    ],
    [
      'nested repetition',
      { patterns: [{ name: 'x', regex: '^(a+)+$' }] },
      `${at}.patterns[0].regex: '(a+)+' repeats a group that itself repeats`,
    ],
    [
      'a pattern name with spaces',
      { patterns: [{ name: 'my id', regex: 'a' }] },
      `${at}.patterns[0].name: 'my id' must start`,
    ],
    [
      'a pattern named like a detector',
      { detectors: ['Email'], patterns: [{ name: 'email', regex: 'a' }] },
      `${at}.patterns[0].name: 'email' is already used`,
    ],
    [
      'two patterns with one name',
      {
        patterns: [
          { name: 'Ticket', regex: 'a' },
          { name: 'ticket', regex: 'b' },
        ],
      },
      `${at}.patterns[1].name: 'ticket' is already used`,
    ],
    [
      'a webhook URL that is not http(s)',
      { webhook: { url: 'ftp://guard' } },
      `${at}.webhook.url: 'ftp://guard' must be an http`,
    ],
    [
      'a webhook URL that is not a URL',
      { webhook: { url: 'guard.internal' } },
      `${at}.webhook.url: 'guard.internal' must be`,
    ],
    [
      'a webhook timeout over 30s',
      { webhook: { url: 'http://g', timeout: '1m' } },
      `${at}.webhook.timeout: '1m' must be between 10ms and 30s`,
    ],
    [
      'a webhook timeout under 10ms',
      { webhook: { url: 'http://g', timeout: '5ms' } },
      `${at}.webhook.timeout: '5ms' must be between 10ms and 30s`,
    ],
    [
      'an unparsable webhook timeout',
      { webhook: { url: 'http://g', timeout: 'soon' } },
      `${at}.webhook.timeout: 'soon' is not a duration`,
    ],
    [
      'an unknown failure mode',
      { webhook: { url: 'http://g', failureMode: 'FailSoft' } },
      `${at}.webhook.failureMode: 'FailSoft' must be one of FailOpen, FailClosed`,
    ],
    [
      'a webhook URL with a fragment',
      { webhook: { url: 'http://g/x#y' } },
      `${at}.webhook.url: 'http://g/x#y' must not have a fragment`,
    ],
  ])('refuses %s', (_name, spec, message) => {
    const r = run({ promptGuard: spec });
    expect(r.accepted).toBe(false);
    expect(r.reason).toBe('Invalid');
    expect(r.message).toContain(message);
  });

  it('refuses credentials in the webhook URL without echoing them', () => {
    const r = run({ promptGuard: { webhook: { url: 'https://user:hunter2@guard.example.com/check' } } });
    expect(r.accepted).toBe(false);
    expect(r.message).toBe(
      `${at}.webhook.url: must not carry credentials (user:password@); the URL is visible in config dumps`,
    );
    expect(r.message).not.toContain('hunter2');
  });
});

describe('compilePlugins: toolGuard', () => {
  const sha = (c: string) => c.repeat(64);

  it.each([
    [
      'defaults: Enforce, FirstSeen, hidden instructions detected',
      {},
      { mode: 'Enforce', pin: 'FirstSeen', pinned: [], detectHiddenInstructions: true, allowUrlHosts: [] },
    ],
    [
      'Declared: pins sorted by tool, fingerprints and hosts lower-cased, hosts sorted and unique',
      {
        mode: 'Observe',
        pin: 'Declared',
        pinned: [
          { tool: 'gh_create_issue', sha256: sha('B') },
          { tool: 'fs_read_file', sha256: sha('a') },
        ],
        detectHiddenInstructions: false,
        allowUrlHosts: ['GitHub.com', '*.Atlassian.net', 'github.com.'],
      },
      {
        mode: 'Observe',
        pin: 'Declared',
        pinned: [
          { tool: 'fs_read_file', sha256: sha('a') },
          { tool: 'gh_create_issue', sha256: sha('b') },
        ],
        detectHiddenInstructions: false,
        allowUrlHosts: ['*.atlassian.net', 'github.com'],
      },
    ],
  ])('accepts %s', (_name, spec, expected) => {
    const r = run({ toolGuard: spec });
    expect(r.message).toBe('Policy is valid');
    expect(r.out).toEqual({ toolGuard: expected });
  });

  const at = 'spec.plugins.toolGuard';
  it.each([
    ['an unknown mode', { mode: 'Block' }, `${at}.mode: 'Block' must be one of Enforce, Observe`],
    ['an unknown pin', { pin: 'Always' }, `${at}.pin: 'Always' must be one of FirstSeen, Declared`],
    [
      'Declared without pins',
      { pin: 'Declared' },
      `${at}.pinned: must list at least one tool when pin is Declared`,
    ],
    [
      'Declared whose only pin is invalid',
      { pin: 'Declared', pinned: [{ tool: 't', sha256: 'abc' }] },
      `${at}.pinned[0].sha256: must be 64 hexadecimal digits (a SHA-256)`,
    ],
    [
      'a tool pinned twice',
      {
        pinned: [
          { tool: 't', sha256: sha('a') },
          { tool: 't', sha256: sha('b') },
        ],
      },
      `${at}.pinned[1].tool: 't' is listed twice`,
    ],
    ['a pin without a tool', { pinned: [{ sha256: sha('a') }] }, `${at}.pinned[0].tool: must be a tool name`],
    ['pinned not a list', { pinned: 'all' }, `${at}.pinned: must be a list`],
    [
      'detectHiddenInstructions as a string',
      { detectHiddenInstructions: 'yes' },
      `${at}.detectHiddenInstructions: must be true or false`,
    ],
    [
      'a URL where a host belongs',
      { allowUrlHosts: ['https://github.com/x'] },
      `${at}.allowUrlHosts[0]: 'https://github.com/x' must be a host name, or *. followed by a domain`,
    ],
    ['a bare wildcard', { allowUrlHosts: ['*'] }, `${at}.allowUrlHosts[0]: '*' must be a host name`],
  ])('refuses %s', (_name, spec, message) => {
    const r = run({ toolGuard: spec });
    expect(r.accepted).toBe(false);
    expect(r.reason).toBe('Invalid');
    expect(r.message).toContain(message);
  });
});
