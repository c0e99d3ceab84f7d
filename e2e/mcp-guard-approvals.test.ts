import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { until } from '@tollgate/dataplane/testing/approvals';
import { startGuardedServer, type GuardedMcpServer } from '@tollgate/dataplane/testing/mcp-servers';
import { closeClients, connectMcp, mcpConsumerHeadYaml, mcpHeaders, mcpRegistryYaml } from './mcp-harness';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * The tool guard and approvals in the MCP plane, end to end: the official SDK client against
 * Tollgate (standalone, in-process) fronting real SDK servers whose `lookup` tool changes its
 * description between two lists, and whose `notes` tool hides instructions for the model.
 */
jest.setTimeout(30_000);

function manifests(enforced: string, observed: string, notes: string): string {
  const registry = mcpRegistryYaml;
  const consumer = (
    name: string,
    registryName: string,
    extra = '',
  ) => `${mcpConsumerHeadYaml(name)}    servers: [{registryRef: {name: ${registryName}}, prefix: g}]
${extra}`;
  const guard = (name: string, consumerName: string, mode: string) => `---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: ${name}}
spec:
  targetRefs: [${consumerName
    .split(',')
    .map((c) => `{kind: Consumer, name: ${c}}`)
    .join(', ')}]
  plugins: {toolGuard: {mode: ${mode}}}
`;
  return `
apiVersion: v1
kind: Secret
metadata: {name: mcp}
stringData: {session: mcp-guard-e2e-session-key-0123456789}
---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {enforced: key-enforced, observed: key-observed, approver: key-approver, notes: key-notes, fresh: key-fresh}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: agents}
spec:
  slug: agents
  defaults: {requestTimeout: 1s}
  mcp:
    sessionKeys: [{id: k1, secretRef: {name: mcp, key: session}}]
    approvals: {timeout: 1500ms}
${registry('enforced', enforced)}${registry('observed', observed)}${registry('notes', notes)}${consumer('enforced', 'enforced')}${consumer('observed', 'observed')}${consumer('notes', 'notes')}${consumer('fresh', 'notes')}${consumer('approver', 'notes', '    requireApproval: ["g_write_note"]\n')}${guard('guard-enforce', 'enforced', 'Enforce')}${guard('guard-observe', 'observed', 'Observe')}${guard('guard-notes', 'notes,fresh', 'Enforce')}`;
}

let enforced: GuardedMcpServer;
let observed: GuardedMcpServer;
let notes: GuardedMcpServer;
let tollgate: InProcessTollgate;
const clients: Client[] = [];

beforeAll(async () => {
  [enforced, observed, notes] = await Promise.all([
    startGuardedServer(),
    startGuardedServer(),
    startGuardedServer(),
  ]);
  tollgate = await standaloneOn(manifests(enforced.url, observed.url, notes.url));
});

afterAll(async () => {
  await closeClients(clients);
  await tollgate?.stop();
  await Promise.all([enforced?.close(), observed?.close(), notes?.close()]);
});

async function connect(consumer: string, elicitation = false): Promise<Client> {
  const { client } = await connectMcp(clients, `${tollgate.base}/${consumer}/mcp`, {
    headers: mcpHeaders(consumer),
    client: elicitation ? { capabilities: { elicitation: {} } } : {},
  });
  return client;
}

async function findings(policy: string, kind: string, action: string): Promise<number> {
  const text = await (await fetch(`${tollgate.ops}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('tollgate_tool_guard_findings_total{') &&
        l.includes(`policy="default/${policy}"`) &&
        l.includes(`kind="${kind}"`) &&
        l.includes(`action="${action}"`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name).sort();

describe('MCP tool guard', () => {
  it('Enforce: a tool whose description changed leaves the list and its calls are refused upstream-free', async () => {
    const client = await connect('enforced');
    expect(await names(client)).toEqual(['g_lookup', 'g_write_note']);
    await expect(client.callTool({ name: 'g_lookup', arguments: { word: 'a' } })).resolves.toMatchObject({
      content: [{ text: 'a: a word' }],
    });
    enforced.rugPull();
    expect(await names(client)).toEqual(['g_write_note']);
    const before = enforced.hits.get('lookup');
    await expect(client.callTool({ name: 'g_lookup', arguments: { word: 'b' } })).rejects.toThrow(
      /blocked by the tool guard of policy default\/guard-enforce: its definition changed/,
    );
    expect(enforced.hits.get('lookup')).toBe(before);
    expect(await findings('guard-enforce', 'rugPull', 'refused')).toBeGreaterThanOrEqual(1);
  });

  it('Observe: the changed tool stays listed and callable, and is reported', async () => {
    const client = await connect('observed');
    expect(await names(client)).toContain('g_lookup');
    expect(await findings('guard-observe', 'rugPull', 'reported')).toBe(0);
    observed.rugPull();
    expect(await names(client)).toContain('g_lookup');
    await expect(client.callTool({ name: 'g_lookup', arguments: { word: 'c' } })).resolves.toMatchObject({
      content: [{ text: 'c: a word' }],
    });
    expect(await findings('guard-observe', 'rugPull', 'reported')).toBeGreaterThanOrEqual(1);
  });

  it('blocks a tool whose description hides an <IMPORTANT> block, in the list and on a call', async () => {
    const client = await connect('notes');
    expect(await names(client)).not.toContain('g_notes');
    await expect(client.callTool({ name: 'g_notes', arguments: {} })).rejects.toThrow(
      /blocked by the tool guard of policy default\/guard-notes: .*<\/IMPORTANT>/,
    );
    expect(notes.hits.get('notes')).toBeUndefined();
    expect(await findings('guard-notes', 'instructionTag', 'blocked')).toBeGreaterThanOrEqual(1);
  });

  it('inspects a tool before its first call when this proxy has not listed it', async () => {
    // Another consumer (its own pins and verdicts) that never listed: the call makes the guard look.
    const client = await connect('fresh');
    await expect(client.callTool({ name: 'g_notes', arguments: {} })).rejects.toThrow(/tool guard/);
    expect(notes.hits.get('notes')).toBeUndefined();
  });
});

interface Pending {
  id: string;
  tool: string;
  consumer: string;
}

async function pendingFor(tool: string): Promise<Pending> {
  let found: Pending | undefined;
  await until(async () => {
    const body = (await (await fetch(`${tollgate.ops}/approvals`)).json()) as { approvals: Pending[] };
    found = body.approvals.find((a) => a.tool === tool);
    return found !== undefined;
  });
  return found as Pending;
}

async function decide(id: string, decision: 'approve' | 'deny', reason: string): Promise<number> {
  const res = await fetch(`${tollgate.ops}/approvals/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ decision, reason, by: 'alice' }),
  });
  return res.status;
}

describe('MCP approvals: held on the ops port', () => {
  it('approve: the held call runs once upstream', async () => {
    const client = await connect('approver');
    const before = notes.hits.get('write_note') ?? 0;
    const call = client.callTool({ name: 'g_write_note', arguments: { text: 'hello' } });
    const pending = await pendingFor('g_write_note');
    expect(pending.consumer).toBe('default/approver');
    expect(notes.hits.get('write_note') ?? 0).toBe(before);
    expect(await decide(pending.id, 'approve', 'looks fine')).toBe(200);
    await expect(call).resolves.toMatchObject({ content: [{ text: 'noted: hello' }] });
    expect(notes.hits.get('write_note') ?? 0).toBe(before + 1);
  });

  it('deny: the call fails with who and why, and never reaches the server', async () => {
    const client = await connect('approver');
    const before = notes.hits.get('write_note') ?? 0;
    const call = client.callTool({ name: 'g_write_note', arguments: { text: 'rm' } });
    // Awaited after the decision; attached now so the refusal is never an unhandled rejection.
    const refused = expect(call).rejects.toThrow(
      "The call to 'g_write_note' was denied by alice: not today.",
    );
    const pending = await pendingFor('g_write_note');
    expect(await decide(pending.id, 'deny', 'not today')).toBe(200);
    await refused;
    expect(notes.hits.get('write_note') ?? 0).toBe(before);
  });

  it('a call held past the request timeout (1s) still runs when approved before its approval timeout', async () => {
    const client = await connect('approver');
    const call = client.callTool({ name: 'g_write_note', arguments: { text: 'patient' } });
    const pending = await pendingFor('g_write_note');
    await new Promise((r) => setTimeout(r, 1200));
    expect(await decide(pending.id, 'approve', 'took a while')).toBe(200);
    await expect(call).resolves.toMatchObject({ content: [{ text: 'noted: patient' }] });
  });

  it('no decision before the timeout: denied', async () => {
    const client = await connect('approver');
    const before = notes.hits.get('write_note') ?? 0;
    await expect(client.callTool({ name: 'g_write_note', arguments: { text: 'late' } })).rejects.toThrow(
      /The call to 'g_write_note' was not approved: no decision in time \(timed out after/,
    );
    expect(notes.hits.get('write_note') ?? 0).toBe(before);
  });
});

describe('MCP approvals: asked through elicitation', () => {
  function answering(
    client: Client,
    answer: (req: ElicitRequest) => {
      action: 'accept' | 'decline' | 'cancel';
      content?: { approve: boolean };
    },
  ) {
    const asked: ElicitRequest[] = [];
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req);
      return answer(req);
    });
    return asked;
  }

  it('accepted with approve=true: the call runs, after the user saw the tool and its arguments', async () => {
    const client = await connect('approver', true);
    const asked = answering(client, () => ({ action: 'accept', content: { approve: true } }));
    const before = notes.hits.get('write_note') ?? 0;
    await expect(
      client.callTool({ name: 'g_write_note', arguments: { text: 'by elicitation' } }),
    ).resolves.toMatchObject({ content: [{ text: 'noted: by elicitation' }] });
    expect(asked).toHaveLength(1);
    expect(asked[0]?.params.message).toContain('Allow tool g_write_note with arguments');
    expect(asked[0]?.params.message).toContain('by elicitation');
    expect(notes.hits.get('write_note') ?? 0).toBe(before + 1);
  });

  it.each([
    ['decline', { action: 'decline' as const }],
    ['cancel', { action: 'cancel' as const }],
    ['accept without approve', { action: 'accept' as const, content: { approve: false } }],
  ])('%s: the call is refused and never reaches the server', async (_, reply) => {
    const client = await connect('approver', true);
    const asked = answering(client, () => reply);
    const before = notes.hits.get('write_note') ?? 0;
    await expect(client.callTool({ name: 'g_write_note', arguments: { text: 'no' } })).rejects.toThrow(
      /The call to 'g_write_note' was denied by the user \(elicitation\)/,
    );
    expect(asked).toHaveLength(1);
    expect(notes.hits.get('write_note') ?? 0).toBe(before);
  });

  it('a client without elicitation is held on the ops port instead', async () => {
    const client = await connect('approver');
    const call = client.callTool({ name: 'g_write_note', arguments: { text: 'ops' } });
    const pending = await pendingFor('g_write_note');
    expect(await decide(pending.id, 'approve', 'ok')).toBe(200);
    await expect(call).resolves.toMatchObject({ content: [{ text: 'noted: ops' }] });
  });
});
