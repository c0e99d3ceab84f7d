import { ConfigStore } from '../config/store';
import { startDataplane } from '../server';
import { capturedLogger } from '../testing/log-capture';
import { gateway } from '../testing/resources';
import { toolCall, until, validSignature, webhookReceiver } from '../testing/approvals';

const KEY = 'whsec-server-test';

/** A dataplane whose Gateway `default/gw` sends approval requests to `url`. */
async function dataplane(url: string, opsToken?: string) {
  const store = new ConfigStore();
  store.replaceAll([gateway('gw', { approvals: { timeoutMs: 60_000, webhook: { url, signingKey: KEY } } })]);
  store.markSynced();
  const { logger, lines } = capturedLogger('info');
  const plane = await startDataplane({
    port: 0,
    opsPort: 0,
    store,
    logger,
    ...(opsToken ? { opsToken } : {}),
  });
  return { plane, lines };
}

describe('approvals in a running dataplane', () => {
  it('the webhook links to the real ops port, where a POST (with the ops token) releases the call', async () => {
    const hook = await webhookReceiver();
    const { plane, lines } = await dataplane(hook.url, 'tok-1');
    try {
      expect(
        lines.some(
          (l) =>
            typeof l.msg === 'string' && l.msg.startsWith('approvals are configured but there is no Redis'),
        ),
      ).toBe(true);
      const call = plane.approvals.request(toolCall({ gateway: 'default/gw' }));
      await until(() => hook.received.length === 1);
      const [got] = hook.received;
      expect(got && validSignature(got, KEY)).toBe(true);
      const url = got?.payload.approvalUrl ?? '';
      expect(url).toBe(`http://127.0.0.1:${plane.opsPort}/approvals/${got?.payload.id}`);
      expect((await fetch(url, { method: 'POST', body: '{"decision":"approve"}' })).status).toBe(401);
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: 'Bearer tok-1', 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', by: 'oncall', reason: 'expected cleanup' }),
      });
      expect(res.status).toBe(200);
      expect(await call).toMatchObject({ approved: true, by: 'oncall', reason: 'expected cleanup' });
      const metrics = await (await fetch(`http://127.0.0.1:${plane.opsPort}/metrics`)).text();
      expect(metrics).toContain(
        'tollgate_approvals_total{gateway="default/gw",consumer="agent",tool="files_delete",decision="approved"} 1',
      );
      const dump = await (await fetch(`http://127.0.0.1:${plane.opsPort}/config_dump`)).text();
      expect(dump).not.toContain(KEY);
    } finally {
      await plane.close(0);
      await hook.close();
    }
  });

  it('shutdown releases a held call at once, denied', async () => {
    const hook = await webhookReceiver();
    const { plane } = await dataplane(hook.url);
    const call = plane.approvals.request(toolCall({ gateway: 'default/gw' }));
    await until(() => hook.received.length === 1);
    await plane.close(0);
    expect(await call).toMatchObject({ approved: false, reason: 'the proxy is shutting down' });
    await hook.close();
  });
});
