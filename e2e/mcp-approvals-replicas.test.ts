import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { until } from '@tollgate/dataplane/testing/approvals';
import { capturedLogger } from '@tollgate/dataplane/testing/log-capture';
import { startGuardedServer, type GuardedMcpServer } from '@tollgate/dataplane/testing/mcp-servers';
import { startTestRedis, type TestRedis } from '@tollgate/dataplane/testing/redis-server';
import {
  closeClients,
  connectMcp,
  mcpConsumerHeadYaml,
  mcpGatewayYaml,
  mcpHeaders,
  mcpRegistryYaml,
} from './mcp-harness';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * Approvals asked through elicitation, answered on another replica: two Tollgate replicas
 * (standalone, in-process, same manifests) in front of a real SDK server whose `write_note` tool
 * needs approval. The official SDK client declares elicitation; a balancer (its `fetch`) sends its
 * calls to replica A and its answers to replica B. With a shared redis-server the answer releases
 * the call A holds; without Redis it cannot, as docs/mcp.md says.
 */
jest.setTimeout(30_000);

let notes: GuardedMcpServer;
let redis: TestRedis;
let yaml: string;
const clients: Client[] = [];

beforeAll(async () => {
  [notes, redis] = await Promise.all([startGuardedServer(), startTestRedis()]);
  yaml = `${mcpGatewayYaml(
    'mcp-approvals-replicas-session-key-0123',
    '',
    'approver: key-approver',
    'approvals: {timeout: 1500ms}',
  )}${mcpRegistryYaml('notes', notes.url)}${mcpConsumerHeadYaml('approver')}    servers: [{registryRef: {name: notes}, prefix: g}]
    requireApproval: ["g_write_note"]
`;
});

afterAll(async () => {
  await closeClients(clients);
  await Promise.all([notes?.close(), redis?.stop()]);
});

interface Replica {
  tollgate: InProcessTollgate;
  lines: Record<string, unknown>[];
}

async function startReplicas(redisUrl?: string): Promise<[Replica, Replica]> {
  const start = async (): Promise<Replica> => {
    const { logger, lines } = capturedLogger('info');
    return { tollgate: await standaloneOn(yaml, logger, redisUrl ? { redisUrl } : {}), lines };
  };
  return Promise.all([start(), start()]);
}

/**
 * An SDK client declaring elicitation that answers with `reply`; a balancer sends its POSTs to
 * `calls`, except its answers to the gateway's requests, which go to `answers`.
 */
async function clientAcross(calls: Replica, answers: Replica, reply: ElicitResult) {
  const answered: number[] = [];
  const asked: string[] = [];
  const { client } = await connectMcp(clients, `${calls.tollgate.base}/approver/mcp`, {
    headers: mcpHeaders('approver'),
    client: { capabilities: { elicitation: {} } },
    transport: {
      fetch: async (url, init) => {
        const body =
          typeof init?.body === 'string' ? (JSON.parse(init.body) as { method?: unknown }) : undefined;
        const answer = body !== undefined && body.method === undefined;
        const to = answer ? answers : calls;
        const res = await fetch(String(url).replace(calls.tollgate.base, to.tollgate.base), init);
        if (answer) answered.push(res.status);
        return res;
      },
    },
  });
  client.setRequestHandler(ElicitRequestSchema, (_req, extra) => {
    asked.push(String(extra.requestId));
    return reply;
  });
  return { client, answered, asked };
}

const writes = () => notes.hits.get('write_note') ?? 0;
const approvalOf = (elicitationId: string | undefined) => (elicitationId ?? '').replace(/^tg-approval\//, '');

describe('MCP approvals by elicitation, answered on another replica, with Redis', () => {
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    [a, b] = await startReplicas(redis.url);
    await until(
      () =>
        a.tollgate.tollgate.dataplane.approvals.sharedReady &&
        b.tollgate.tollgate.dataplane.approvals.sharedReady,
      5000,
    );
  });
  afterAll(async () => {
    await Promise.all([a?.tollgate.stop(), b?.tollgate.stop()]);
  });

  it('accepted: the answer POSTed to B releases the call A holds, which runs once; both log the decision', async () => {
    const { client, answered, asked } = await clientAcross(a, b, {
      action: 'accept',
      content: { approve: true },
    });
    const before = writes();
    await expect(
      client.callTool({ name: 'g_write_note', arguments: { text: 'across replicas' } }),
    ).resolves.toMatchObject({ content: [{ text: 'noted: across replicas' }] });
    expect(asked).toHaveLength(1);
    expect(answered).toEqual([202]);
    expect(writes()).toBe(before + 1);
    const approval = approvalOf(asked[0]);
    expect(approval).toMatch(/^apr_/);
    // A (holding the call) logs who, when and why; B logs the decision it received and passed on.
    expect(a.lines.find((l) => l.msg === 'approval granted: the tool call goes on')).toMatchObject({
      approval,
      by: 'the user (elicitation)',
      decidedAt: expect.any(String),
      tool: 'g_write_note',
    });
    expect(b.lines.find((l) => l.msg === 'approval decision received')).toMatchObject({
      approval,
      decision: 'approved',
      by: 'the user (elicitation)',
    });
    expect(b.lines.some((l) => l.msg === 'approval granted: the tool call goes on')).toBe(false);
  });

  it('declined: the answer through B refuses the call A holds; the server never sees it', async () => {
    const { client, answered, asked } = await clientAcross(a, b, { action: 'decline' });
    const before = writes();
    await expect(client.callTool({ name: 'g_write_note', arguments: { text: 'no' } })).rejects.toThrow(
      "The call to 'g_write_note' was denied by the user (elicitation): the user chose decline.",
    );
    expect(answered).toEqual([202]);
    expect(writes()).toBe(before);
    expect(a.lines.find((l) => l.msg === 'approval not granted: the tool call is refused')).toMatchObject({
      approval: approvalOf(asked[0]),
      by: 'the user (elicitation)',
      reason: 'the user chose decline',
    });
  });
});

describe('MCP approvals by elicitation, answered on another replica, without Redis', () => {
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    [a, b] = await startReplicas();
  });
  afterAll(async () => {
    await Promise.all([a?.tollgate.stop(), b?.tollgate.stop()]);
  });

  it('the answer POSTed to B is accepted (202) but cannot reach A: a warning with the approval id, the call times out as denied', async () => {
    const { client, answered, asked } = await clientAcross(a, b, {
      action: 'accept',
      content: { approve: true },
    });
    const before = writes();
    await expect(client.callTool({ name: 'g_write_note', arguments: { text: 'lost' } })).rejects.toThrow(
      /The call to 'g_write_note' was not approved: no decision in time \(timed out after 1.5s\)/,
    );
    expect(answered).toEqual([202]);
    expect(writes()).toBe(before);
    const warning = b.lines.find(
      (l) => l.approval === approvalOf(asked[0]) && (l.level === 40 || l.level === 'warn'),
    );
    expect(warning).toMatchObject({
      consumer: 'default/approver',
      msg: expect.stringContaining(
        'without Redis it cannot reach the one that does: the call times out as denied',
      ),
    });
  });
});
