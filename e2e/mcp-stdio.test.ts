import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { everythingServer } from '@tollgate/dataplane/testing/everything';
import { startFilesServer, type TestMcpServer } from '@tollgate/dataplane/testing/mcp-servers';
import { closeClients, connectMcp, mcpGatewayYaml, mcpHeaders, mcpRegistryYaml } from './mcp-harness';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * A stdio MCP server behind the gateway (standalone mode): `@modelcontextprotocol/server-everything`
 * run as a child process next to an HTTP server, reached with the official SDK client over
 * Streamable HTTP. One child serves every client session.
 */
jest.setTimeout(60_000);

let files: TestMcpServer;
let tollgate: InProcessTollgate;
const clients: Client[] = [];

beforeAll(async () => {
  files = await startFilesServer();
  const everything = everythingServer();
  tollgate =
    await standaloneOn(`${mcpGatewayYaml('mcp-stdio-session-key-0123456789abcdef', 'key: key-local')}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: everything}
spec:
  provider: mcp
  mcp:
    transport: Stdio
    command: ${JSON.stringify(everything.command)}
    args: ${JSON.stringify(everything.args)}
    env: [{name: TOLLGATE_TEST, value: "1"}]
${mcpRegistryYaml('files', files.url)}---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: local}
spec:
  gatewayRef: {name: agents}
  slug: local
  credentials: {apiKeys: [{secretRef: {name: mcp, key: key}}]}
  mcp:
    servers: [{registryRef: {name: everything}, prefix: ev}, {registryRef: {name: files}, prefix: files}]
`);
});

afterAll(async () => {
  await closeClients(clients);
  await tollgate?.stop();
  await files?.close();
});

async function connect(): Promise<Client> {
  const { client } = await connectMcp(clients, `${tollgate.base}/local/mcp`, {
    headers: mcpHeaders('local'),
    name: 'stdio-e2e',
  });
  return client;
}

/** The pids of this process's children running server-everything (the gateway's stdio servers). */
function everythingPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes('server-everything'))
    .map((l) => Number.parseInt(l.trim(), 10));
}

describe('a stdio MCP server behind the gateway', () => {
  it('lists its tools next to the HTTP server’s, and calls echo', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['ev_echo', 'ev_get-sum', 'files_read_file']));
    const echo = await client.callTool({ name: 'ev_echo', arguments: { message: 'hello stdio' } });
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: hello stdio' }]);
  });

  it('gets a prompt and reads a resource', async () => {
    const client = await connect();
    const prompt = await client.getPrompt({ name: 'ev_args-prompt', arguments: { city: 'Lyon' } });
    expect(JSON.stringify(prompt.messages)).toContain('Lyon');
    const { resources } = await client.listResources();
    const doc = resources.find((r) => r.uri.startsWith('ev+demo://resource/static/document/'));
    expect(doc).toBeDefined();
    const read = await client.readResource({ uri: doc?.uri ?? '' });
    expect(read.contents[0]?.uri).toBe(doc?.uri);
    const [content] = read.contents;
    expect(content && 'text' in content ? content.text.length : 0).toBeGreaterThan(0);
  });

  it('serves many client sessions over one child process, concurrently', async () => {
    const sessions = await Promise.all([connect(), connect(), connect()]);
    const answers = await Promise.all(
      sessions.map((c, i) => c.callTool({ name: 'ev_get-sum', arguments: { a: i, b: 10 } })),
    );
    expect(answers.map((a) => JSON.stringify(a.content))).toEqual([
      expect.stringContaining('10'),
      expect.stringContaining('11'),
      expect.stringContaining('12'),
    ]);
    expect(everythingPids()).toHaveLength(1);
  });

  it('relays progress to the session that asked, when two sessions use the same progress token', async () => {
    const [one, two] = await Promise.all([connect(), connect()]);
    const progress: [number[], number[]] = [[], []];
    const results = await Promise.all(
      [one, two].map((c, i) =>
        c?.callTool(
          { name: 'ev_trigger-long-running-operation', arguments: { duration: 0.4, steps: 2 } },
          undefined,
          { onprogress: (p) => progress[i as 0 | 1].push(p.progress) },
        ),
      ),
    );
    expect(progress).toEqual([
      [1, 2],
      [1, 2],
    ]);
    for (const r of results) expect(JSON.stringify(r?.content)).toContain('Long running operation completed');
  });

  it("runs the command with the registry's env added", async () => {
    const client = await connect();
    const env = await client.callTool({ name: 'ev_get-env', arguments: {} });
    expect(JSON.stringify(env.content)).toContain('TOLLGATE_TEST');
  });

  it('starts the child again after it crashes', async () => {
    const client = await connect();
    await client.callTool({ name: 'ev_echo', arguments: { message: 'before' } });
    const [pid] = everythingPids();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid ?? 0, 'SIGKILL');
    // Down while it restarts (a JSON-RPC error naming it), then back, with a new process.
    let text: unknown;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const r = await client
        .callTool({ name: 'ev_echo', arguments: { message: 'after' } })
        .catch((e: unknown) => ({ error: String(e) }));
      if ('content' in r) {
        text = r.content;
        break;
      }
      expect(r.error).toMatch(/everything/);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(text).toEqual([{ type: 'text', text: 'Echo: after' }]);
    const [again] = everythingPids();
    expect(again).toBeGreaterThan(0);
    expect(again).not.toBe(pid);
  });
});
