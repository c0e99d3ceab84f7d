import type { StreamEvent } from '../../formats/ir';
import { GatewayError } from '../../errors/errors';
import { createScanner } from './scanner';
import { STREAM_HOLDBACK, guardStream } from './stream';

const scanner = createScanner({
  detectors: ['Email', 'Phone', 'CreditCard', 'SSN', 'IBAN'],
  patterns: [{ name: 'city', regex: 'Paris' }],
});
const text = (t: string): StreamEvent => ({ type: 'text', text: t });
const finish: StreamEvent = { type: 'finish', stopReason: 'end' };

/** Feeds `chunks` as text events then a finish; returns every event out, and what each push let go. */
function run(action: 'Mask' | 'Reject', chunks: string[], extra: StreamEvent[] = []) {
  const filter = guardStream(scanner, action);
  const released: string[] = [];
  const out: StreamEvent[] = [];
  for (const c of chunks) {
    const got = filter.push(text(c));
    released.push(got.map((e) => (e.type === 'text' ? e.text : '')).join(''));
    out.push(...got);
  }
  for (const e of [...extra, finish]) out.push(...filter.push(e));
  out.push(...filter.end());
  const all = out.map((e) => (e.type === 'text' ? e.text : '')).join('');
  return { out, released, all };
}

/** `s` cut into pieces of `n` characters: every place a match can be split. */
const pieces = (s: string, n: number) => s.match(new RegExp(`[\\s\\S]{1,${n}}`, 'g')) ?? [];

describe('guardStream', () => {
  // Longer than the holdback, data early, in the middle and at the very end.
  const filler = 'The quick brown fox jumps over the lazy dog. '.repeat(4);
  const answer = `Write to jane.doe@example.com. ${filler}Or call +1 (415) 555-0132. ${filler}Card 4111 1111 1111 1111`;
  const masked = `Write to [EMAIL]. ${filler}Or call [PHONE]. ${filler}Card [CREDIT_CARD]`;

  it.each([1, 2, 3, 5, 8, 13, 200])(
    'masks matches however the text is split (%i characters a chunk)',
    (n) => {
      const { all, released } = run('Mask', pieces(answer, n));
      expect(all).toBe(masked);
      // no chunk ever let a piece of the data through
      for (const r of released) {
        expect(r).not.toMatch(/jane|example|555|1111/);
      }
    },
  );

  it('lets text go as it comes, less the held-back tail, and the rest at the finish', () => {
    const long = 'a'.repeat(STREAM_HOLDBACK + 50);
    const filter = guardStream(scanner, 'Mask');
    expect(filter.push(text(long.slice(0, STREAM_HOLDBACK)))).toEqual([]);
    expect(filter.push(text(long.slice(STREAM_HOLDBACK)))).toEqual([text('a'.repeat(50))]);
    expect(filter.push(finish)).toEqual([text('a'.repeat(STREAM_HOLDBACK)), finish]);
    expect(filter.end()).toEqual([]);
  });

  it('holds a match that reaches into the tail from its start, and masks it once complete', () => {
    const lead = 'x'.repeat(STREAM_HOLDBACK);
    const filter = guardStream(scanner, 'Mask');
    // The email starts before the holdback line and is still growing.
    const first = filter.push(text(`${lead} jane.doe@exam`));
    expect(first.map((e) => (e.type === 'text' ? e.text : '')).join('')).not.toContain('jane');
    const rest = [...filter.push(text('ple.com end')), ...filter.push(finish), ...filter.end()];
    const all = [...first, ...rest].map((e) => (e.type === 'text' ? e.text : '')).join('');
    expect(all).toBe(`${lead} [EMAIL] end`);
  });

  it('Reject: refuses with 422 response_blocked, naming the detector, never the data', () => {
    let thrown: unknown;
    try {
      run('Reject', pieces('my ssn is 123-45-6789 ok', 4));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    const e = thrown as GatewayError;
    expect([e.status, e.code]).toEqual([422, 'response_blocked']);
    expect(e.message).toContain('SSN in the streamed text');
    expect(e.message).not.toContain('6789');
  });

  it('passes clean text, start, usage and finish in order', () => {
    const start: StreamEvent = { type: 'start', id: 'r1', model: 'm' };
    const usage: StreamEvent = { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } };
    const filter = guardStream(scanner, 'Reject');
    const out = [
      ...filter.push(start),
      ...filter.push(text('hello ')),
      ...filter.push(text('world')),
      ...filter.push(finish),
      ...filter.push(usage),
      ...filter.end(),
    ];
    expect(out).toEqual([start, text('hello world'), finish, usage]);
  });

  it('holds tool calls to the finish, then masks their arguments inside the JSON, one delta a call', () => {
    const call: StreamEvent = { type: 'tool_call_start', index: 0, id: 'c1', name: 'weather' };
    const filter = guardStream(scanner, 'Mask');
    const out = [
      ...filter.push(text('Checking.')),
      ...filter.push(call),
      ...filter.push({ type: 'tool_call_delta', index: 0, arguments: '{"city":"Pa' }),
      ...filter.push({ type: 'tool_call_delta', index: 0, arguments: 'ris","mail":"a@b.co"}' }),
    ];
    expect(out).toEqual([text('Checking.')]);
    expect([...filter.push(finish), ...filter.end()]).toEqual([
      call,
      { type: 'tool_call_delta', index: 0, arguments: '{"city":"[CITY]","mail":"[EMAIL]"}' },
      finish,
    ]);
  });

  it('Reject: a tool call carrying data is refused at the finish', () => {
    const filter = guardStream(scanner, 'Reject');
    filter.push({ type: 'tool_call_start', index: 0, id: 'c1', name: 'send' });
    filter.push({ type: 'tool_call_delta', index: 0, arguments: '{"to":"a@b.co"}' });
    expect(() => filter.push(finish)).toThrow(/Email in the arguments of a call to 'send'/);
  });

  it('a stream that ends without a finish still gets its held text, masked', () => {
    const filter = guardStream(scanner, 'Mask');
    expect(filter.push(text('reach me at a@b.co'))).toEqual([]);
    expect(filter.end()).toEqual([text('reach me at [EMAIL]')]);
  });
});
