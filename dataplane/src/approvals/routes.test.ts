import { ConfigStore } from '../config/store';
import { createOpsApp } from '../ops/app';
import { createMetrics } from '../telemetry/metrics';
import { proxyClient } from '../testing/proxy-client';
import { testBroker, toolCall, until } from '../testing/approvals';
import type { ApprovalBroker } from './broker';

interface Listed {
  scope: string;
  partial: boolean;
  approvals: {
    id: string;
    state: string;
    consumer: string;
    tool: string;
    arguments: string;
    created: string;
    expires: string;
  }[];
}

function opsApp(broker: ApprovalBroker, token?: string) {
  return proxyClient(
    createOpsApp({
      store: new ConfigStore(),
      metrics: createMetrics({ defaultMetrics: false }),
      accepting: () => true,
      approvals: { broker, ...(token ? { token } : {}) },
    }),
  );
}

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('ops port /approvals', () => {
  it('lists pending requests, shows one, and a POST decides it: 200 with the result, then 409, unknown 404', async () => {
    const { broker } = testBroker();
    const app = opsApp(broker);
    const call = broker.request(toolCall());
    let listed: Listed | undefined;
    await until(async () => {
      listed = (await (await app.request('/approvals')).json()) as Listed;
      return listed.approvals.length === 1;
    });
    const first = listed?.approvals[0];
    expect(listed).toMatchObject({ scope: 'local', partial: false });
    expect(first).toMatchObject({
      state: 'pending',
      consumer: 'agent',
      tool: 'files_delete',
      arguments: '{"path":"/tmp/x","apiKey":"[redacted]"}',
    });
    expect(Date.parse(first?.expires ?? '') - Date.parse(first?.created ?? '')).toBe(10_000);
    const id = first?.id ?? '';

    const shown = await app.request(`/approvals/${id}`);
    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({ id, state: 'pending' });

    const decided = await app.request(
      `/approvals/${id}`,
      post({ decision: 'approve', by: 'alice', reason: 'ok' }),
    );
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ id, state: 'approved', by: 'alice', reason: 'ok' });
    expect(await call).toMatchObject({ approved: true, by: 'alice' });

    const again = await app.request(`/approvals/${id}`, post({ decision: 'deny' }));
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      error: { type: 'conflict', message: `approval ${id} was already decided (approved by alice)` },
    });
    expect(((await (await app.request('/approvals')).json()) as Listed).approvals).toEqual([]);

    for (const res of [
      await app.request('/approvals/apr_unknown'),
      await app.request('/approvals/apr_unknown', post({ decision: 'approve' })),
    ]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { type: 'not_found', message: 'no approval apr_unknown: unknown, or expired' },
      });
    }
    await broker.close();
  });

  it('an expired (timed out) request is 404', async () => {
    const { broker } = testBroker();
    const app = opsApp(broker);
    const call = broker.request(toolCall({ timeoutMs: 50 }));
    let id = '';
    await until(async () => {
      id = (await broker.list()).approvals[0]?.id ?? '';
      return id !== '';
    });
    expect((await call).timedOut).toBe(true);
    expect((await app.request(`/approvals/${id}`, post({ decision: 'approve' }))).status).toBe(404);
    await broker.close();
  });

  it.each<[string, string | object, string]>([
    ['not JSON', '{decision', 'the body must be JSON: {"decision": "approve"|"deny", "reason"?, "by"?}'],
    [
      'not an object',
      '[1]',
      'the body must be a JSON object: {"decision": "approve"|"deny", "reason"?, "by"?}',
    ],
    ['a wrong decision', { decision: 'yes' }, 'decision must be "approve" or "deny"'],
    ['no decision', { reason: 'x' }, 'decision must be "approve" or "deny"'],
    [
      'a reason that is not a string',
      { decision: 'deny', reason: 5 },
      'reason must be a string of at most 1000 characters',
    ],
    [
      'a too long approver',
      { decision: 'deny', by: 'x'.repeat(1001) },
      'by must be a string of at most 1000 characters',
    ],
    ['unknown fields', { decision: 'deny', approved: true }, 'unknown field: approved'],
  ])('a malformed body (%s) is 400 and decides nothing', async (_name, body, message) => {
    const { broker } = testBroker();
    const app = opsApp(broker);
    const call = broker.request(toolCall());
    await until(async () => (await broker.list()).approvals.length === 1);
    const id = (await broker.list()).approvals[0]?.id ?? '';
    const res = await app.request(`/approvals/${id}`, post(body));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { type: 'invalid_request', message } });
    expect((await broker.get(id))?.state).toBe('pending');
    await broker.close();
    await call;
  });

  it('with an ops token, /approvals needs it as a bearer token; health and metrics stay open', async () => {
    const { broker } = testBroker();
    const app = opsApp(broker, 'ops-s3cret');
    for (const [path, init] of [
      ['/approvals', undefined],
      ['/approvals/apr_x', undefined],
      ['/approvals/apr_x', post({ decision: 'approve' })],
    ] as const) {
      const none = await app.request(path, init);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tollgate-ops"');
      const wrong = await app.request(path, {
        ...init,
        headers: { ...init?.headers, authorization: 'Bearer nope' },
      });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).not.toContain('ops-s3cret');
    }
    const ok = await app.request('/approvals', { headers: { authorization: 'Bearer ops-s3cret' } });
    expect(ok.status).toBe(200);
    expect((await app.request('/healthz')).status).toBe(200);
    await broker.close();
  });
});
