import path from 'node:path';
import { compile } from '.';
import { TESTDATA, readGoldenInput } from './golden-cases';

const input = readGoldenInput(path.join(TESTDATA, '27-mcp'));
const messageOf = (result: ReturnType<typeof compile>, name: string) =>
  result.statuses.find((s) => s.name === name)?.conditions.find((c) => c.type === 'Accepted')?.message;

describe('MCP compile options', () => {
  it('refuses a Stdio server in the controller, with a condition that says why', () => {
    expect(messageOf(compile(input), 'local')).toBe(
      'spec.mcp.transport: Stdio starts a local command and is allowed in standalone mode (tollgate run) only',
    );
  });

  it('compiles a Stdio server in standalone mode: command, args and env, run without a shell', () => {
    const result = compile(input, { standalone: true });
    expect(messageOf(result, 'local')).toBe('Registry is valid');
    const local = result.resources.find((r) => r.kind === 'Registry' && r.name === 'default/local');
    expect(local?.kind === 'Registry' ? local.body.mcp : undefined).toMatchObject({
      transport: 'Stdio',
      command: expect.any(String) as string,
      args: expect.any(Array) as string[],
    });
  });
});

describe('MCP legacy HTTP+SSE servers', () => {
  it('compiles transport SSE with its stream URL, in the controller as in standalone mode', () => {
    for (const result of [compile(input), compile(input, { standalone: true })]) {
      expect(messageOf(result, 'legacy')).toBe('Registry is valid');
      const legacy = result.resources.find((r) => r.kind === 'Registry' && r.name === 'default/legacy');
      expect(legacy?.kind === 'Registry' ? legacy.body.mcp : undefined).toEqual({
        transport: 'SSE',
        url: 'https://legacy.example.com/sse',
        headers: {},
      });
    }
  });
});

describe('MCP session keys', () => {
  const keysOf = (result: ReturnType<typeof compile>) => {
    const g = result.resources.find((r) => r.kind === 'Gateway' && r.name === 'default/agents');
    return g?.kind === 'Gateway' ? g.body.mcp?.sessionKeys : undefined;
  };

  it('derives 32-byte keys, the same on every compile, different per key id', () => {
    const keys = keysOf(compile(input)) ?? [];
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    for (const k of keys) expect(Buffer.from(k.key, 'base64')).toHaveLength(32);
    expect(keysOf(compile(input))).toEqual(keys);
    expect(new Set(keys.map((k) => k.key)).size).toBe(2);
  });

  it('never emits the Secret value itself', () => {
    const text = JSON.stringify(compile(input).resources.filter((r) => r.kind === 'Gateway'));
    expect(text).not.toContain('0123456789abcdef0123456789abcdef');
  });
});
