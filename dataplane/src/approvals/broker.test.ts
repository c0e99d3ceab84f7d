import { testBroker, toolCall, until } from '../testing/approvals';

/** The id of the one request pending on `broker`, once it is listed. */
async function pendingId(broker: ReturnType<typeof testBroker>['broker']): Promise<string> {
  let id: string | undefined;
  await until(async () => {
    id = (await broker.list()).approvals[0]?.id;
    return id !== undefined;
  });
  return id as string;
}

describe('ApprovalBroker (per replica)', () => {
  it('holds the call until approved; the decision is logged with who, when, why, tool and consumer', async () => {
    const { broker, lines, registry } = testBroker();
    const call = broker.request(toolCall());
    const id = await pendingId(broker);
    expect(id).toMatch(/^apr_[A-Za-z0-9_-]{24}$/);
    const listed = (await broker.list()).approvals[0];
    expect(listed).toMatchObject({ consumer: 'agent', tool: 'files_delete', state: 'pending' });
    expect(listed?.expiresAt).toBe((listed?.createdAt ?? 0) + 10_000);
    const outcome = await broker.decide(id, { decision: 'approve', by: 'alice', reason: 'looks fine' });
    expect(outcome.outcome).toBe('decided');
    const result = await call;
    expect(result).toMatchObject({ approved: true, by: 'alice', reason: 'looks fine' });
    expect(result.at).toBeInstanceOf(Date);
    expect((await broker.list()).approvals).toEqual([]);
    const log = lines.find((l) => l.msg === 'approval granted: the tool call goes on');
    expect(log).toMatchObject({
      level: 'info',
      approval: id,
      decision: 'approved',
      by: 'alice',
      reason: 'looks fine',
      tool: 'files_delete',
      consumer: 'agent',
    });
    expect(typeof log?.decidedAt).toBe('string');
    const metrics = await registry.metrics();
    expect(metrics).toContain(
      'tollgate_approvals_total{gateway="default/gw",consumer="agent",tool="files_delete",decision="approved"} 1',
    );
    expect(metrics).toContain('tollgate_approvals_pending{gateway="default/gw"} 0');
    expect(metrics).toContain(
      'tollgate_approval_wait_seconds_count{gateway="default/gw",decision="approved"} 1',
    );
    await broker.close();
  });

  it('a denial releases the call as not approved, with the reason', async () => {
    const { broker } = testBroker();
    const call = broker.request(toolCall());
    const id = await pendingId(broker);
    await broker.decide(id, { decision: 'deny', by: 'bob', reason: 'not in prod' });
    expect(await call).toMatchObject({ approved: false, by: 'bob', reason: 'not in prod' });
    await broker.close();
  });

  it('no decision before the timeout = denied, "timed out after …"; a later decision gets unknown (404)', async () => {
    const { broker, registry } = testBroker();
    const started = Date.now();
    const call = broker.request(toolCall({ timeoutMs: 150 }));
    const id = await pendingId(broker);
    const result = await call;
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(result).toMatchObject({ approved: false, timedOut: true, reason: 'timed out after 150ms' });
    expect((await broker.list()).approvals).toEqual([]);
    expect((await broker.decide(id, { decision: 'approve' })).outcome).toBe('unknown');
    expect(await registry.metrics()).toContain('decision="timed_out"} 1');
    await broker.close();
  });

  it('a second decision is refused (already decided) and changes nothing', async () => {
    const { broker } = testBroker();
    const call = broker.request(toolCall());
    const id = await pendingId(broker);
    await broker.decide(id, { decision: 'deny', by: 'bob' });
    const second = await broker.decide(id, { decision: 'approve', by: 'mallory' });
    expect(second).toMatchObject({ outcome: 'already', record: { state: 'denied', by: 'bob' } });
    expect((await call).approved).toBe(false);
    expect(await broker.get(id)).toMatchObject({ state: 'denied', by: 'bob' });
    await broker.close();
  });

  it('an unknown id is unknown', async () => {
    const { broker } = testBroker();
    expect((await broker.decide('apr_nope', { decision: 'approve' })).outcome).toBe('unknown');
    expect(await broker.get('apr_nope')).toBeUndefined();
    await broker.close();
  });

  it('the caller going away withdraws the request (cancelled); shutdown releases what is held', async () => {
    const { broker, registry } = testBroker();
    const abort = new AbortController();
    const cancelled = broker.request(toolCall({ signal: abort.signal }));
    const held = broker.request(toolCall({ requestId: 'rpc-2' }));
    await until(async () => (await broker.list()).approvals.length === 2);
    abort.abort();
    expect(await cancelled).toMatchObject({ approved: false, reason: 'cancelled by the caller' });
    expect((await broker.list()).approvals.map((a) => a.requestId)).toEqual(['rpc-2']);
    await broker.close();
    expect(await held).toMatchObject({ approved: false, reason: 'the proxy is shutting down' });
    expect(broker.holding).toBe(0);
    expect(await registry.metrics()).toContain('decision="cancelled"} 2');
  });

  it('a caller gone before or while the request is stored is released at once, nothing left pending', async () => {
    const { broker } = testBroker();
    const gone = new AbortController();
    gone.abort();
    expect(await broker.request(toolCall({ signal: gone.signal }))).toMatchObject({
      approved: false,
      reason: 'cancelled by the caller',
    });
    const leaving = new AbortController();
    const call = broker.request(toolCall({ signal: leaving.signal }));
    leaving.abort(); // while the request is being stored
    expect(await call).toMatchObject({ approved: false, reason: 'cancelled by the caller' });
    expect((await broker.list()).approvals).toEqual([]);
    expect(broker.holding).toBe(0);
    await broker.close();
  });

  it('ids are unguessable and distinct; arguments are kept only as a summary without secrets', async () => {
    const { broker } = testBroker();
    const calls = Array.from({ length: 20 }, (_, i) => broker.request(toolCall({ requestId: `r${i}` })));
    await until(async () => (await broker.list()).approvals.length === 20);
    const { approvals } = await broker.list();
    expect(new Set(approvals.map((a) => a.id)).size).toBe(20);
    expect(approvals[0]?.arguments).toBe('{"path":"/tmp/x","apiKey":"[redacted]"}');
    expect(JSON.stringify(approvals)).not.toContain('sk-live');
    await broker.close();
    await Promise.all(calls);
  });

  it('refuses a timeout that is not a positive duration of at most 24h', async () => {
    const { broker } = testBroker();
    for (const timeoutMs of [0, -1, Number.NaN, 25 * 3_600_000])
      await expect(broker.request(toolCall({ timeoutMs }))).rejects.toThrow(RangeError);
    await broker.close();
  });
});
