import type { RuntimeConsumer, RuntimeGateway } from '../config/snapshot';
import type { ChatResponse, StreamEvent } from '../formats/ir';
import { GatewayError } from '../errors/errors';
import { Pipeline } from './pipeline';
import type { Plugin, PolicyRequest, Stage } from './types';

const request = (): PolicyRequest => ({
  method: 'POST',
  header: () => undefined,
  responseHeaders: {},
  requestId: 'r1',
  operation: 'chat.completions',
  gateway: {} as RuntimeGateway,
  consumer: {} as RuntimeConsumer,
  clientIp: undefined,
  apiKeyHash: '',
  body: {},
  setBody: () => undefined,
  chat: () => undefined,
});

/** A plugin that records when each of its hooks starts and ends, waiting `ms` in between. */
function probe(name: string, log: string[], ms = 0, fail?: Stage): Plugin {
  const hook = (stage: Stage) => async () => {
    log.push(`${name}:${stage}:start`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`${name}:${stage}:end`);
    if (fail === stage) throw new GatewayError(400, `${name}_failed`, name);
  };
  return {
    name,
    preRequest: hook('preRequest'),
    postRequest: hook('postRequest'),
    preResponse: hook('preResponse'),
    postResponse: hook('postResponse'),
  };
}

describe('Pipeline', () => {
  it('runs a sequential group one hook after another, in plugin order', async () => {
    const log: string[] = [];
    const p = new Pipeline([{ plugins: [probe('a', log, 5), probe('b', log)], parallel: false }]);
    await p.run('preRequest', request());
    expect(log).toEqual(['a:preRequest:start', 'a:preRequest:end', 'b:preRequest:start', 'b:preRequest:end']);
  });

  it('starts the hooks of a parallel group together and waits for all', async () => {
    const log: string[] = [];
    const p = new Pipeline([{ plugins: [probe('a', log, 20), probe('b', log, 5)], parallel: true }]);
    await p.run('postRequest', request());
    expect(log).toEqual([
      'a:postRequest:start',
      'b:postRequest:start',
      'b:postRequest:end',
      'a:postRequest:end',
    ]);
  });

  it('runs groups (Policies) one after another, each with its own parallel setting', async () => {
    const log: string[] = [];
    const p = new Pipeline([
      { plugins: [probe('a', log, 10), probe('b', log)], parallel: true },
      { plugins: [probe('c', log)], parallel: false },
    ]);
    await p.run('preResponse', request());
    expect(log.indexOf('c:preResponse:start')).toBeGreaterThan(log.indexOf('a:preResponse:end'));
    expect(log.indexOf('b:preResponse:start')).toBeLessThan(log.indexOf('a:preResponse:end'));
  });

  it('stops at the first rejection in a sequential group', async () => {
    const log: string[] = [];
    const p = new Pipeline([
      { plugins: [probe('a', log, 0, 'preRequest'), probe('b', log)], parallel: false },
    ]);
    await expect(p.run('preRequest', request())).rejects.toMatchObject({ code: 'a_failed' });
    expect(log).not.toContain('b:preRequest:start');
  });

  it('in a parallel group, fails with the first failure in plugin order, whatever finishes first', async () => {
    const log: string[] = [];
    const p = new Pipeline([
      {
        plugins: [probe('slow', log, 20, 'preRequest'), probe('fast', log, 0, 'preRequest')],
        parallel: true,
      },
    ]);
    await expect(p.run('preRequest', request())).rejects.toMatchObject({ code: 'slow_failed' });
    expect(log).toContain('slow:preRequest:end'); // waited for both
  });

  it('knows which stages have hooks, and answers at the edge with the first plugin that does', () => {
    const cors: Plugin = { name: 'edge1', edge: () => ({ status: 204, headers: { x: '1' } }) };
    const never: Plugin = { name: 'edge2', edge: () => ({ status: 418, headers: {} }) };
    const only: Plugin = { name: 'pre', preRequest: () => undefined };
    const p = new Pipeline([{ plugins: [cors, never, only], parallel: false }]);
    expect(p.runs('preRequest')).toBe(true);
    expect(p.runs('postResponse')).toBe(false);
    expect(p.empty).toBe(false);
    expect(p.edge({ method: 'OPTIONS', header: () => undefined, responseHeaders: {} })).toEqual({
      status: 204,
      headers: { x: '1' },
    });
    expect(new Pipeline([]).empty).toBe(true);
  });

  describe('answers and response inspection', () => {
    const res = (text: string): ChatResponse => ({
      id: 'r',
      model: 'm',
      content: [{ type: 'text', text }],
      stopReason: 'end',
    });
    const answering = (name: string, text: string, ms = 0): Plugin => ({
      name,
      preRequest: async () => {
        await new Promise((r) => setTimeout(r, ms));
        return { response: res(text) };
      },
    });

    it('the first answer ends the stage: later plugins of a sequential group do not run', async () => {
      const log: string[] = [];
      const p = new Pipeline([
        { plugins: [answering('cache', 'hit'), probe('after', log)], parallel: false },
        { plugins: [probe('next-policy', log)], parallel: false },
      ]);
      const answer = await p.run('preRequest', request());
      expect(answer?.response.content).toEqual([{ type: 'text', text: 'hit' }]);
      expect(log).toEqual([]);
    });

    it('in a parallel group, the first answer or failure in plugin order wins, whatever finishes first', async () => {
      const log: string[] = [];
      const first = new Pipeline([
        { plugins: [answering('slow', 'slow', 20), answering('fast', 'fast')], parallel: true },
      ]);
      expect((await first.run('preRequest', request()))?.response.content[0]).toEqual({
        type: 'text',
        text: 'slow',
      });
      const failFirst = new Pipeline([
        { plugins: [probe('guard', log, 10, 'preRequest'), answering('cache', 'hit')], parallel: true },
      ]);
      await expect(failFirst.run('preRequest', request())).rejects.toMatchObject({ code: 'guard_failed' });
    });

    it('inspectors run in plugin order, each on the previous replacement; no replacement: unchanged', async () => {
      const append = (suffix: string): Plugin => ({
        name: suffix,
        inspectResponse: (_req, r) => res(`${(r.content[0] as { text: string }).text}${suffix}`),
      });
      const p = new Pipeline([{ plugins: [append('-a'), append('-b')], parallel: true }]);
      expect(p.inspectsResponses).toBe(true);
      const out = await p.inspect(request(), res('x'));
      expect(out).toEqual({ response: res('x-a-b'), changed: true });
      const quiet = new Pipeline([
        { plugins: [{ name: 'q', inspectResponse: () => undefined }], parallel: false },
      ]);
      expect(await quiet.inspect(request(), res('x'))).toEqual({ response: res('x'), changed: false });
      expect(new Pipeline([{ plugins: [probe('p', [])], parallel: false }]).inspectsResponses).toBe(false);
    });

    it('chains stream filters in plugin order: what one holds back passes the later ones when it lets go', () => {
      const text = (t: string): StreamEvent => ({ type: 'text', text: t });
      /** Appends its tag to each text it lets go; `hold` keeps everything until the end. */
      const tagger = (tag: string, hold = false): Plugin => ({
        name: tag,
        filterStream: () => {
          const held: StreamEvent[] = [];
          const tagged = (e: StreamEvent): StreamEvent => (e.type === 'text' ? text(e.text + tag) : e);
          return {
            push: (e) => (hold ? (held.push(e), []) : [tagged(e)]),
            end: () => held.splice(0).map(tagged),
          };
        },
      });
      const p = new Pipeline([
        { plugins: [tagger('-a', true), tagger('-b')], parallel: false },
        { plugins: [tagger('-c')], parallel: false },
      ]);
      expect(p.filtersStreams).toBe(true);
      const f = p.streamFilter(request());
      expect(f?.push(text('x'))).toEqual([]);
      expect(f?.push(text('y'))).toEqual([]);
      expect(f?.end()).toEqual([text('x-a-b-c'), text('y-a-b-c')]);
      const single = new Pipeline([{ plugins: [tagger('-b')], parallel: false }]).streamFilter(request());
      expect(single?.push(text('x'))).toEqual([text('x-b')]);
      const none = new Pipeline([{ plugins: [probe('p', [])], parallel: false }]);
      expect(none.filtersStreams).toBe(false);
      expect(none.streamFilter(request())).toBeUndefined();
    });

    it('needs the response content when any plugin says so', () => {
      const reader: Plugin = { name: 'reader', needsResponseContent: true, postResponse: () => undefined };
      expect(
        new Pipeline([{ plugins: [probe('p', []), reader], parallel: false }]).needsResponseContent,
      ).toBe(true);
      expect(new Pipeline([{ plugins: [probe('p', [])], parallel: false }]).needsResponseContent).toBe(false);
    });
  });
});
