import type { AnswerFormat } from './first-token';

/**
 * What the bench sends and where: the request bodies, the targets (direct, pass-through, Tollgate's
 * native, translated and governed paths) and the Tollgate config that serves them.
 */
export const UPSTREAM_KEY = 'sk-bench-upstream';
export const CALLER_KEY = 'sk-bench-caller';
export const CHAT_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'Say something about foxes and dogs.' },
  ],
});
/** The same conversation as Anthropic's Messages API takes it (the system prompt is a top-level field). */
export const MESSAGES_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  max_tokens: 256,
  system: 'You are a terse assistant.',
  messages: [{ role: 'user', content: 'Say something about foxes and dogs.' }],
});
/**
 * The policy set a governed consumer typically has — CORS, size, request and token limits, a budget
 * and a prompt guard — with limits high enough never to refuse during a run: the cost measured is the
 * checking, counting and scanning, not refusals. (The semantic cache is left out: its hits would make
 * the governed path look faster than it is.)
 */
const GOVERNING_POLICY = `apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: governed}
spec:
  targetRefs: [{kind: Consumer, name: governed}]
  plugins:
    cors: {allowOrigins: ['https://app.example.com']}
    requestSize: {maxBodyBytes: 65536, maxMessages: 64}
    rateLimit: {requests: 100000000, window: 1m}
    tokenRateLimit: {tokens: 1000000000, window: 1m, estimatePrompt: true}
    budget:
      amountUSD: '1000000'
      period: Month
      prices: [{model: gpt-4o-mini, inputPerMTok: '0.15', outputPerMTok: '0.6', cachedInputPerMTok: '0.075'}]
    promptGuard:
      action: Mask
      detectors: [Email, Phone, CreditCard, SSN, IBAN]`;

/** Tollgate's config for the bench: one gateway, a plain and a governed consumer, one upstream. */
export function benchConfigYaml(upstreamPort: number): string {
  return `apiVersion: v1
kind: Secret
metadata: {name: bench}
stringData: {upstream: ${UPSTREAM_KEY}, caller: ${CALLER_KEY}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: bench}
spec: {slug: bench}
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: upstream}
spec:
  provider: openai-compatible
  baseUrl: http://127.0.0.1:${upstreamPort}/v1
  credentials: {secretRef: {name: bench, key: upstream}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: bench}
spec:
  gatewayRef: {name: bench}
  slug: bench
  credentials: {apiKeys: [{secretRef: {name: bench, key: caller}}]}
  routes: [{model: gpt-4o-mini, targets: [{registryRef: {name: upstream}}]}]
---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: governed}
spec:
  gatewayRef: {name: bench}
  slug: governed
  credentials: {apiKeys: [{secretRef: {name: bench, key: caller}}]}
  routes: [{model: gpt-4o-mini, targets: [{registryRef: {name: upstream}}]}]
---
${GOVERNING_POLICY}
`;
}

export const streaming = (body: string) => JSON.stringify({ ...JSON.parse(body), stream: true });

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** What it answers in: how its answer is checked and its first token found. */
  format: AnswerFormat;
  /** Response headers that prove the target does what it is meant to measure (its policies ran). */
  expectHeaders?: string[];
}

/** Where each target lives once the processes are up. */
export interface Ports {
  upstream: number;
  passthrough: number;
  /** The least a gateway does (floor.ts); only the `chat` scenario measures it. */
  floor?: number;
  tollgate: number;
}

export const direct = (p: Ports, body: string): Target => ({
  name: 'direct',
  url: `http://127.0.0.1:${p.upstream}/v1/chat/completions`,
  headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
  body,
  format: 'openai-chat',
});
export const passthrough = (p: Ports, body: string): Target => ({
  name: 'passthrough',
  url: `http://127.0.0.1:${p.passthrough}/v1/chat/completions`,
  headers: {},
  body,
  format: 'openai-chat',
});
/** floor.ts: the pass-through plus the work no gateway can skip, with Tollgate's caller key. */
export const floor = (p: Ports, body: string): Target => ({
  name: 'floor',
  url: `http://127.0.0.1:${p.floor ?? 0}/v1/chat/completions`,
  headers: { authorization: `Bearer ${CALLER_KEY}` },
  body,
  format: 'openai-chat',
});
/** The native path: OpenAI's format in, an OpenAI-wire upstream out. */
export const tollgate = (p: Ports, body: string, name = 'tollgate'): Target => ({
  name,
  url: `http://127.0.0.1:${p.tollgate}/bench/v1/chat/completions`,
  headers: { 'x-ag-gateway-slug': 'bench', authorization: `Bearer ${CALLER_KEY}` },
  body,
  format: 'openai-chat',
});
/** The translated path: Anthropic's Messages API in, as its SDK sends it, to the same OpenAI-wire upstream. */
export const translated = (p: Ports, body: string): Target => ({
  name: 'translated',
  url: `http://127.0.0.1:${p.tollgate}/bench/v1/messages`,
  headers: { 'x-ag-gateway-slug': 'bench', 'x-api-key': CALLER_KEY, 'anthropic-version': '2023-06-01' },
  body,
  format: 'anthropic-messages',
});

/** The same native path for the consumer that every policy plugin of the bench config governs. */
export const governed = (p: Ports, body: string): Target => ({
  ...tollgate(p, body, 'policies'),
  url: `http://127.0.0.1:${p.tollgate}/governed/v1/chat/completions`,
  headers: {
    'x-ag-gateway-slug': 'bench',
    authorization: `Bearer ${CALLER_KEY}`,
    origin: 'https://app.example.com',
  },
  // One header per plugin: a Policy that compile refused would leave the path plain.
  expectHeaders: [
    'access-control-allow-origin',
    'x-ratelimit-remaining',
    'x-ratelimit-remaining-tokens',
    'x-tollgate-budget-remaining-usd',
  ],
});
