import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { anthropicFor, openAIFor } from './clients';
import { standaloneOn, type InProcessTollgate } from './standalone';
import { acmeGatewayYaml, consumerHeadYaml, secretYaml } from './manifests';

/**
 * A route target whose Registry reference does not resolve (a typo, or a Registry that is not
 * accepted) is dropped by compile and the Consumer says ResolvedRefs=False; a request that the route
 * then cannot serve is told which reference is to blame, in the caller's own format, rather than a
 * bare "No upstream is available". Standalone mode on real sockets, official SDKs.
 */
const KEY = 'sk-app-dangling';

const MANIFESTS = `
${secretYaml('app-key', `key: ${KEY}`)}---
${acmeGatewayYaml()}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: mock}
spec: {provider: mock}
---
# Not accepted: its credentials Secret does not exist.
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: keyless}
spec:
  provider: openai
  credentials: {secretRef: {name: no-such-secret, key: apiKey}}
---
${consumerHeadYaml('app-key', 'key')}  routes:
    - model: typo-only
      targets: [{registryRef: {name: typo}}]
    - model: both-broken
      targets: [{registryRef: {name: typo}}, {registryRef: {name: keyless}, priority: 1}]
    - model: half
      targets: [{registryRef: {name: mock}}, {registryRef: {name: typo}}]
`;

let tg: InProcessTollgate;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  tg = await standaloneOn(MANIFESTS);
  openai = openAIFor(tg.base, 'app', KEY);
  anthropic = anthropicFor(tg.base, 'app', KEY);
});
afterAll(async () => {
  await tg?.stop();
});

async function rejection<E extends Error>(
  p: Promise<unknown>,
  type: abstract new (...a: never[]) => E,
): Promise<E> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof type)) throw new Error(`expected ${type.name}, got ${String(outcome)}`);
  return outcome;
}

const chat = (model: string) =>
  openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('dangling registry references are named in the request error', () => {
  it('OpenAI format: 503 naming the Registry that does not exist and the condition to look at', async () => {
    const err = await rejection(chat('typo-only'), OpenAI.APIError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('no_upstream_available');
    expect(err.message).toContain(
      "model 'typo-only' of consumer 'app' routes to Registry 'default/typo' which does not exist (ResolvedRefs=False)",
    );
  });

  it('Anthropic format: the same message in an Anthropic error body', async () => {
    const err = await rejection(
      anthropic.messages.create({
        model: 'typo-only',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      Anthropic.APIError,
    );
    expect(err.status).toBe(503);
    const body = err.error as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.message).toContain(
      "routes to Registry 'default/typo' which does not exist (ResolvedRefs=False)",
    );
  });

  it('names every unresolved target, telling a missing Registry from one that is not accepted', async () => {
    const err = await rejection(chat('both-broken'), OpenAI.APIError);
    expect(err.status).toBe(503);
    expect(err.message).toContain(
      "model 'both-broken' of consumer 'app' routes to Registry 'default/typo' which does not exist and Registry 'default/keyless' which is not accepted (ResolvedRefs=False)",
    );
  });

  it('a route that still has a resolved target is served by it', async () => {
    const { data, response } = await chat('half').withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(response.headers.get('x-selected-registry')).toBe('default/mock');
  });
});
