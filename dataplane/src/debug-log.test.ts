import type { AnyResource } from '@tollgate/protocol';
import { ConfigStore } from './config/store';
import { startDataplane, type Dataplane } from './server';
import { capturedLogger, isDebugLine } from './testing/log-capture';
import { consumer, gateway, registry, route } from './testing/resources';

/** `--log-level debug` says what the proxy decided: config applied, routing, retries, refusals. */
const KEY = 'sk-caller-debug-key';
const UPSTREAM_KEY = 'sk-upstream-debug-secret';
const mock = (failureRate: number) => ({ latencyMs: 0, chunkDelayMs: 0, failureRate, failureStatus: 503 });

const base: AnyResource[] = [
  gateway('acme'),
  registry('bad', { provider: 'mock', baseUrl: '', apiKey: UPSTREAM_KEY, mock: mock(1) }),
  registry('good', { provider: 'mock', baseUrl: '', apiKey: UPSTREAM_KEY, mock: mock(0) }),
  // `bad` first (priority 0), `good` the fallback (priority 1).
  consumer('app', 'acme', [KEY], [route('gpt', ['bad', 1, undefined, 0], ['good', 1, undefined, 1])]),
];
const limitPolicy: AnyResource = {
  kind: 'Policy',
  name: 'default/short',
  version: 'v-short',
  body: {
    source: { namespace: 'default', name: 'short', generation: 1 },
    targets: [{ kind: 'Consumer', name: 'default/app' }],
    parallel: false,
    plugins: { requestSize: { maxMessages: 1 } },
  },
} as AnyResource;

async function started(level: string): Promise<{ dataplane: Dataplane; lines: Record<string, unknown>[] }> {
  const { logger, lines } = capturedLogger(level);
  const store = new ConfigStore();
  store.replaceAll(base);
  store.markSynced();
  const dataplane = await startDataplane({
    port: 0,
    opsPort: 0,
    store,
    logger,
  });
  return { dataplane, lines };
}

async function ask(d: Dataplane, messages: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${d.port}/app/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ag-gateway-slug': 'acme',
      authorization: `Bearer ${KEY}`,
    },
    body: JSON.stringify({
      model: 'gpt',
      messages: Array.from({ length: messages }, () => ({ role: 'user', content: 'hi' })),
    }),
  });
  await res.text();
  return res.status;
}

describe('debug logging', () => {
  let d: Dataplane;
  let lines: Record<string, unknown>[];
  beforeAll(async () => {
    ({ dataplane: d, lines } = await started('debug'));
  });
  afterAll(() => d.close(0));

  const debugLine = (msg: string) => lines.find((l) => isDebugLine(l) && l.msg === msg);

  it('says what a config change added, changed and removed', () => {
    const changedBad = { ...base[1], version: 'v-bad-2' } as AnyResource;
    d.store.replaceAll([base[0], changedBad, base[2], base[3], limitPolicy] as AnyResource[]);
    expect(debugLine('config changed')).toMatchObject({
      counts: { added: 1, changed: 1, removed: 0 },
      added: ['Policy/default/short'],
      changed: ['Registry/default/bad'],
      removed: [],
    });
  });

  it('says which target a route chose, and why it fell back to the next one', async () => {
    expect(await ask(d, 1)).toBe(200);
    expect(debugLine('route chosen')).toMatchObject({
      route: 'gpt',
      model: 'gpt',
      strategy: 'Weighted',
      target: 'default/bad',
      requestId: expect.any(String),
    });
    expect(debugLine('falling back to the next target')).toMatchObject({
      failed: 'default/bad',
      why: 'ServerError (HTTP 503)',
      next: 'default/good',
      attempt: 2,
    });
  });

  it('says which policy refused a request, at which stage, with what answer', async () => {
    expect(await ask(d, 2)).toBe(413);
    expect(debugLine('policy refused the request')).toMatchObject({
      policy: 'default/short',
      plugin: 'requestSize',
      stage: 'preRequest',
      status: 413,
      code: 'too_many_messages',
    });
  });

  it('never logs a credential', () => {
    const text = JSON.stringify(lines);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(UPSTREAM_KEY);
  });
});

it('at info level, writes no debug line', async () => {
  const { dataplane, lines } = await started('info');
  try {
    dataplane.store.replaceAll([...base, limitPolicy]);
    expect(await ask(dataplane, 1)).toBe(200);
    expect(await ask(dataplane, 2)).toBe(413);
    expect(lines.filter(isDebugLine)).toEqual([]);
    expect(lines.filter((l) => l.msg === 'request')).toHaveLength(2);
  } finally {
    await dataplane.close(0);
  }
});
