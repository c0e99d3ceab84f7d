import { createHmac } from 'node:crypto';
import {
  testBroker,
  toolCall,
  until,
  webhookReceiver as receiver,
  validSignature,
} from '../testing/approvals';
import { deliverWebhook, signature, type WebhookPayload } from './webhook';

const KEY = 'whsec-test-signing-key';

describe('approval webhook', () => {
  it('signature is sha256=<hex HMAC of the body>', () => {
    expect(signature('{"a":1}', 'k')).toBe(
      `sha256=${createHmac('sha256', 'k').update('{"a":1}').digest('hex')}`,
    );
  });

  it('each new request is POSTed, signed, with what an approver needs; the approver can decide from it', async () => {
    const hook = await receiver();
    const { broker, registry } = testBroker({
      webhookFor: (gw) => (gw === 'default/gw' ? { url: hook.url, signingKey: KEY } : undefined),
      opsUrl: 'http://tollgate-ops.example:9091',
    });
    const call = broker.request(toolCall());
    await until(() => hook.received.length === 1);
    const [got] = hook.received;
    expect(got && validSignature(got, KEY)).toBe(true);
    const p = got?.payload as WebhookPayload;
    expect(p).toMatchObject({
      type: 'approval.requested',
      gateway: 'default/gw',
      consumer: 'agent',
      server: 'default/files',
      tool: 'files_delete',
      arguments: '{"path":"/tmp/x","apiKey":"[redacted]"}',
      requestId: 'rpc-1',
      approvalUrl: `http://tollgate-ops.example:9091/approvals/${p.id}`,
    });
    expect(Date.parse(p.expiresAt) - Date.parse(p.createdAt)).toBe(10_000);
    expect(got?.body).not.toContain('sk-live');
    await broker.decide(p.id, { decision: 'approve', by: 'webhook-bot' });
    expect((await call).approved).toBe(true);
    await until(async () =>
      (await registry.metrics()).includes(
        'tollgate_approval_webhooks_total{gateway="default/gw",result="delivered"} 1',
      ),
    );
    // A gateway without a webhook sends nothing.
    const other = broker.request(toolCall({ gateway: 'default/other', timeoutMs: 30 }));
    expect((await other).timedOut).toBe(true);
    expect(hook.received).toHaveLength(1);
    await broker.close();
    await hook.close();
  });

  it('a failing receiver is retried with backoff until it takes the request; failures are counted', async () => {
    const hook = await receiver([500, 503]);
    const { broker, registry } = testBroker({
      webhookFor: () => ({ url: hook.url, signingKey: KEY }),
      webhookDelivery: { backoffMs: 20 },
    });
    const call = broker.request(toolCall());
    await until(() => hook.received.length === 3);
    expect(hook.received.every((r) => validSignature(r, KEY))).toBe(true);
    expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
    const metrics = await registry.metrics();
    expect(metrics).toContain('tollgate_approval_webhook_retries_total{gateway="default/gw"} 2');
    await until(async () => (await registry.metrics()).includes('result="delivered"} 1'));
    await broker.close();
    await call;
    await hook.close();
  });

  it('gives up after its attempts (logged, counted); a hanging receiver never holds the call past its timeout', async () => {
    const gone = await receiver();
    await gone.close();
    const down = await deliverWebhook({ url: gone.url, signingKey: KEY }, {} as WebhookPayload, {
      attempts: 3,
      backoffMs: 5,
    });
    expect(down).toMatchObject({ delivered: false, attempts: 3, error: 'ECONNREFUSED' });

    const hook = await receiver(['hang', 'hang']);
    const { broker, lines, registry } = testBroker({
      webhookFor: () => ({ url: hook.url, signingKey: KEY }),
      webhookDelivery: { attempts: 2, backoffMs: 10, attemptTimeoutMs: 100 },
    });
    const started = Date.now();
    const result = await broker.request(toolCall({ timeoutMs: 400 }));
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    // The second attempt was still wanted (the call was held): both timed out, then it gave up.
    await until(async () =>
      (await registry.metrics()).includes(
        'tollgate_approval_webhooks_total{gateway="default/gw",result="failed"} 1',
      ),
    );
    expect(
      lines.some(
        (l) =>
          l.msg === 'approval webhook not delivered; the request is still listed on the ops port' &&
          l.err === 'timed out',
      ),
    ).toBe(true);
    await broker.close();
    await hook.close();
  });
});
