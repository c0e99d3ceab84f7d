import type { MuxContext } from './forward';
import { MCP_ERRORS, type StreamEvent } from './jsonrpc';
import { McpNames } from './names';
import { followAnswer, MAX_RESUME_ROUNDS, resumeAnswer } from './resume';
import type { McpRegistry, McpUpstreams, UpstreamEvent } from './upstream';

const named = { registry: 'ns/live', prefix: 'live' };
const req = { id: 7, method: 'tools/call' };
const progress = (n: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progress: n },
});
const answer = { jsonrpc: '2.0', id: 7, result: { content: [] } };

async function* events<T>(list: T[]): AsyncGenerator<T> {
  yield* list;
}

/** A session of one server whose `resume` answers, call after call, what `answers` holds. */
function context(answers: (UpstreamEvent[] | number)[]) {
  const resumedFrom: string[] = [];
  const upstreams = {
    resume(_registry: McpRegistry, _session: unknown, _signal: AbortSignal, last: string) {
      resumedFrom.push(last);
      const next = answers.shift() ?? [];
      return Promise.resolve(typeof next === 'number' ? next : events(next));
    },
  } as unknown as McpUpstreams;
  const ctx: MuxContext = {
    names: new McpNames([named], {
      tools: { allow: [], deny: [] },
      prompts: { allow: [], deny: [] },
      resources: { allow: [], deny: [] },
      exposeAs: {},
      requireApproval: [],
    }),
    servers: [
      {
        named,
        registry: { mcp: { url: 'http://127.0.0.1:1/mcp' } } as McpRegistry,
        session: { registry: named.registry, sessionId: 's1', protocolVersion: '2025-11-25' },
      },
    ],
    onServerDown: 'FailOpen',
    upstreams,
    signal: new AbortController().signal,
    clientStreams: true,
  };
  return { ctx, resumedFrom };
}

async function all(source: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of source) out.push(e);
  return out;
}

/** The first part of an answer, which its server ends early after `last`. */
const cut = (last: string, retry = 1): StreamEvent[] => [
  { registry: named.registry, id: 'p', retry },
  { registry: named.registry, id: last, message: progress(1) },
];

describe('followAnswer', () => {
  it('a client that cannot come back: the gateway resumes from the last id, after the retry, to the response', async () => {
    const { ctx, resumedFrom } = context([
      [
        { id: '2', message: progress(2) },
        { id: '3', message: answer },
      ],
    ]);
    const started = performance.now();
    const out = await all(followAnswer(events(cut('1', 60)), ctx, req, () => false));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55); // the server's retry, waited
    expect(resumedFrom).toEqual(['1']);
    expect(out.map((e) => e.message)).toEqual([undefined, progress(1), progress(2), answer]);
  });

  it('a client that comes back itself: the stream just ends', async () => {
    const { ctx, resumedFrom } = context([]);
    const out = await all(followAnswer(events(cut('1')), ctx, req, () => true));
    expect(resumedFrom).toEqual([]);
    expect(out).toHaveLength(2);
  });

  it('a server still streaming the answer elsewhere (409) is asked again; one that cannot resume gives an error answer', async () => {
    const { ctx, resumedFrom } = context([409, 500]);
    const out = await all(followAnswer(events(cut('1')), ctx, req, () => false));
    expect(resumedFrom).toEqual(['1', '1']);
    expect(out.at(-1)?.message).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: {
        code: MCP_ERRORS.ServerUnavailable,
        message: "MCP server 'live' could not resume this answer: it answered HTTP 500",
      },
    });
  });

  it(`a server that keeps ending the answer early: ${MAX_RESUME_ROUNDS} rounds, then an error answer`, async () => {
    const { ctx, resumedFrom } = context(
      Array.from({ length: MAX_RESUME_ROUNDS + 5 }, (_, i) => [{ id: `r${i}`, retry: 0 }]),
    );
    const out = await all(followAnswer(events(cut('1', 0)), ctx, req, () => false));
    expect(resumedFrom).toHaveLength(MAX_RESUME_ROUNDS);
    // Each round resumes from the last id the server gave.
    expect(resumedFrom.slice(0, 3)).toEqual(['1', 'r0', 'r1']);
    expect(out.at(-1)?.message).toMatchObject({
      id: 7,
      error: { message: 'the MCP server kept ending its answer early' },
    });
  });
});

describe('resumeAnswer', () => {
  it('409 from the server is an HTTP 409 McpError (the client retries); a server gone from the session an error answer', async () => {
    const { ctx } = context([409]);
    await expect(resumeAnswer(ctx, named.registry, '1', req)).rejects.toEqual(
      expect.objectContaining({ httpStatus: 409, code: MCP_ERRORS.ServerUnavailable }),
    );
    const gone = await all(await resumeAnswer(ctx, 'ns/other', '1', req));
    expect(gone).toEqual([
      {
        registry: 'ns/other',
        message: expect.objectContaining({ id: 7, error: expect.objectContaining({ code: -32002 }) }),
      },
    ]);
  });
});
