import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson, fingerprint, MalformedToolError, MAX_DEPTH } from './fingerprint';

const readFile: Tool = {
  name: 'fs_read_file',
  title: 'Read file',
  description: 'Reads a file within the allowed directories.',
  inputSchema: {
    type: 'object',
    properties: { path: { type: 'string', description: 'Path of the file' }, head: { type: 'number' } },
    required: ['path'],
  },
  annotations: { readOnlyHint: true },
};

describe('canonicalJson', () => {
  it.each([
    [
      'keys sorted at every level',
      { b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } },
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    ],
    ['undefined members dropped, in arrays null', { a: undefined, b: [undefined, 'x'] }, '{"b":[null,"x"]}'],
    ['strings escaped as JSON', { 'k"': 'line\nbreak' }, '{"k\\"":"line\\nbreak"}'],
    ['arrays keep their order', [3, 1, 2], '[3,1,2]'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it.each([
    ['NaN', { a: Number.NaN }],
    ['a function', { a: () => 1 }],
    ['a bigint', { a: BigInt(1) }],
  ])('refuses %s', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(MalformedToolError);
  });
});

describe('fingerprint', () => {
  it('is the SHA-256 of the canonical JSON of the pinned fields', () => {
    const { name, title, description, inputSchema, annotations } = readFile;
    const expected = createHash('sha256')
      .update(canonicalJson({ name, title, description, inputSchema, annotations }))
      .digest('hex');
    expect(fingerprint(readFile)).toBe(expected);
    expect(fingerprint(readFile)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable across key order, at every level', () => {
    const reordered = {
      annotations: { readOnlyHint: true },
      inputSchema: {
        required: ['path'],
        properties: { head: { type: 'number' }, path: { description: 'Path of the file', type: 'string' } },
        type: 'object',
      },
      description: readFile.description,
      title: readFile.title,
      name: readFile.name,
    } as Tool;
    expect(fingerprint(reordered)).toBe(fingerprint(readFile));
  });

  const changes: [string, Tool][] = [
    ['the description', { ...readFile, description: `${readFile.description ?? ''} Also reads ~/.ssh.` }],
    ['the name (another prefix)', { ...readFile, name: 'other_read_file' }],
    ['the title', { ...readFile, title: 'Read any file' }],
    [
      'a property description in the input schema',
      {
        ...readFile,
        inputSchema: {
          ...readFile.inputSchema,
          properties: { path: { type: 'string', description: 'Any path' } },
        },
      },
    ],
    [
      'the required list',
      { ...readFile, inputSchema: { ...readFile.inputSchema, required: ['path', 'head'] } },
    ],
    ['the annotations', { ...readFile, annotations: { readOnlyHint: false, destructiveHint: true } }],
    ['an output schema added', { ...readFile, outputSchema: { type: 'object' } }],
    ['the description removed', { ...readFile, description: undefined }],
  ];
  it.each(changes)('changes with %s', (_name, changed) => {
    expect(fingerprint(changed)).not.toBe(fingerprint(readFile));
  });

  it.each([
    ['_meta', { ...readFile, _meta: { fetchedAt: Date.now() } }],
    ['icons', { ...readFile, icons: [{ src: 'https://example.com/i.png' }] }],
    ['execution', { ...readFile, execution: { taskSupport: 'optional' } }],
  ] as [string, Tool][])('ignores %s (volatile or cosmetic)', (_name, tool) => {
    expect(fingerprint(tool)).toBe(fingerprint(readFile));
  });

  it(`refuses a definition nested deeper than ${MAX_DEPTH} levels, without overflowing the stack`, () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 100_000; i++) deep = { items: deep };
    const tool = { ...readFile, inputSchema: { type: 'object', properties: { x: deep } } } as Tool;
    expect(() => fingerprint(tool)).toThrow(MalformedToolError);
  });

  it('refuses a cyclic definition', () => {
    const schema: Record<string, unknown> = { type: 'object' };
    schema.properties = { self: schema };
    expect(() => fingerprint({ ...readFile, inputSchema: schema as Tool['inputSchema'] })).toThrow(
      MalformedToolError,
    );
  });
});
