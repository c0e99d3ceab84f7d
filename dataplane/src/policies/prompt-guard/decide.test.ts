import type { ChatResponse } from '../../formats/ir';
import { describeFindings, inspectSlots } from './decide';
import { responseSlots, withTexts } from './response';
import { createScanner } from './scanner';

const scanner = createScanner({
  detectors: ['Email', 'CreditCard'],
  patterns: [{ name: 'ticket', regex: 'T-[0-9]+' }],
});

describe('inspectSlots', () => {
  const slots = [
    { path: 'messages[0].content', text: 'hello' },
    { path: 'messages[1].content', text: 'me@example.com and T-42' },
    { path: 'messages[2].content[0].text', text: 'card 4111 1111 1111 1111, again you@example.org' },
  ];

  it('Reject: names what matched and where, never the matched text', () => {
    const v = inspectSlots(scanner, 'Reject', slots);
    expect(v).toEqual({
      kind: 'reject',
      findings: [
        { name: 'Email', places: ['messages[1].content', 'messages[2].content[0].text'] },
        { name: 'ticket', places: ['messages[1].content'] },
        { name: 'CreditCard', places: ['messages[2].content[0].text'] },
      ],
    });
    expect(JSON.stringify(v)).not.toMatch(/example|4111|T-42/);
  });

  it('Mask: a replacement per slot, unchanged where nothing matched', () => {
    const v = inspectSlots(scanner, 'Mask', slots);
    expect(v.kind === 'masked' && v.texts).toEqual([
      'hello',
      '[EMAIL] and [TICKET]',
      'card [CREDIT_CARD], again [EMAIL]',
    ]);
  });

  it('clean texts are clean', () => {
    expect(inspectSlots(scanner, 'Reject', [{ path: 'input', text: 'nothing here 1234' }])).toEqual({
      kind: 'clean',
    });
  });

  it('JSON slots are scanned and masked in their string values, staying valid JSON', () => {
    const args = JSON.stringify({ to: 'bob@example.com', cc: ['T-7', 'ok'], n: 4111, nested: { x: 'T-8' } });
    const v = inspectSlots(scanner, 'Mask', [{ path: 'content[0].arguments', text: args, json: true }]);
    expect(v.kind).toBe('masked');
    const texts = v.kind === 'masked' ? v.texts : [];
    expect(JSON.parse(texts[0] ?? '')).toEqual({
      to: '[EMAIL]',
      cc: ['[TICKET]', 'ok'],
      n: 4111,
      nested: { x: '[TICKET]' },
    });
  });

  it('keeps a `__proto__` key of JSON arguments a key', () => {
    const args = '{"__proto__":{"to":"bob@example.com"}}';
    const v = inspectSlots(scanner, 'Mask', [{ path: 'a', text: args, json: true }]);
    expect(v.kind === 'masked' && v.texts[0]).toBe('{"__proto__":{"to":"[EMAIL]"}}');
  });

  it('broken JSON is scanned as plain text', () => {
    const v = inspectSlots(scanner, 'Mask', [{ path: 'a', text: '{"to": "bob@example.com"', json: true }]);
    expect(v.kind === 'masked' && v.texts[0]).toBe('{"to": "[EMAIL]"');
  });

  it('JSON nested deeper than a request may carry is scanned as plain text, never walked recursively', () => {
    const deep = `{"to":"bob@example.com","a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const v = inspectSlots(scanner, 'Mask', [{ path: 'a', text: deep, json: true }]);
    expect(v.kind === 'masked' && v.texts[0]?.startsWith('{"to":"[EMAIL]","a":[[[')).toBe(true);
  });

  it('reports the `where` of a slot when it has one', () => {
    const v = inspectSlots(scanner, 'Reject', [{ path: 'content[0].text', where: 'the text', text: 'T-1' }]);
    expect(v.kind === 'reject' && v.findings).toEqual([{ name: 'ticket', places: ['the text'] }]);
  });
});

describe('describeFindings', () => {
  it('lists at most three places a name', () => {
    expect(
      describeFindings([
        { name: 'Email', places: ['a', 'b', 'c', 'd', 'e'] },
        { name: 'SSN', places: ['x'] },
      ]),
    ).toBe('Email in a, b, c and 2 more; SSN in x');
  });
});

describe('response slots', () => {
  const res: ChatResponse = {
    id: 'r',
    model: 'm',
    content: [
      { type: 'text', text: 'write to bob@example.com' },
      { type: 'tool_call', id: 'c', name: 'send_mail', arguments: '{"to":"bob@example.com"}' },
      { type: 'text', text: '' },
    ],
    stopReason: 'tool_calls',
    usage: { inputTokens: 1, outputTokens: 2 },
  };

  it('are the text parts and tool-call arguments, named for people', () => {
    expect(responseSlots(res)).toEqual([
      { path: 'content[0].text', where: 'the text', text: 'write to bob@example.com' },
      {
        path: 'content[1].arguments',
        where: "the arguments of a call to 'send_mail'",
        text: '{"to":"bob@example.com"}',
        json: true,
      },
    ]);
  });

  it('are written back without touching anything else', () => {
    const slots = responseSlots(res);
    const out = withTexts(res, slots, ['write to [EMAIL]', '{"to":"[EMAIL]"}']);
    expect(out).toEqual({
      ...res,
      content: [
        { type: 'text', text: 'write to [EMAIL]' },
        { type: 'tool_call', id: 'c', name: 'send_mail', arguments: '{"to":"[EMAIL]"}' },
        { type: 'text', text: '' },
      ],
    });
    expect(res.content[0]).toEqual({ type: 'text', text: 'write to bob@example.com' });
  });
});
