import { globsToRegex, McpNames } from './names';

const none = { allow: [], deny: [] };
const servers = [
  { registry: 'ns/weather', prefix: 'weather' },
  { registry: 'ns/files', prefix: 'files' },
];
const names = new McpNames(servers, {
  tools: { allow: ['weather_*', 'files_read_*'], deny: ['*_delete_*'] },
  prompts: none,
  resources: { allow: [], deny: ['files+file:///secret*'] },
  exposeAs: { weather_get_forecast: 'forecast' },
  requireApproval: ['files_write_?ile'],
});
const [weather, files] = servers as [(typeof servers)[0], (typeof servers)[0]];

describe('McpNames', () => {
  it('prefixes tool and prompt names with _ and URIs with +', () => {
    expect(names.expose(files, 'read_file')).toBe('files_read_file');
    expect(names.exposeUri(weather, 'weather://cities/paris')).toBe('weather+weather://cities/paris');
    expect(names.exposeTool(weather, 'get_forecast')).toBe('forecast');
  });

  it.each([
    ['weather_get_x', 'ns/weather', 'get_x'],
    ['files_read_file', 'ns/files', 'read_file'],
    ['forecast', 'ns/weather', 'get_forecast'],
    ['weather_a_b_c', 'ns/weather', 'a_b_c'],
  ])('resolves the tool %s to %s %s', (visible, registry, name) => {
    expect(names.resolveTool(visible)).toMatchObject({ server: { registry }, name });
  });

  it.each([['weather_get_forecast'], ['nobody_x'], ['noprefix'], ['_x']])('owns no tool %s', (visible) => {
    expect(names.resolveTool(visible)).toBeUndefined();
  });

  it('resolves URIs by the first +, keeping the rest (and its own + signs) intact', () => {
    expect(names.resolveUri('files+file:///a+b.txt')).toMatchObject({
      server: files,
      name: 'file:///a+b.txt',
    });
  });

  it('filters by allow then deny, on prefixed names', () => {
    expect(names.allows('tool', 'weather_get_forecast')).toBe(true);
    expect(names.allows('tool', 'weather_delete_city')).toBe(false);
    expect(names.allows('tool', 'files_write_file')).toBe(false);
    expect(names.allows('prompt', 'anything')).toBe(true);
    expect(names.allows('resource', 'files+file:///secret/key')).toBe(false);
    expect(names.allows('resource', 'files+file:///readme')).toBe(true);
  });

  it('marks tools that need approval', () => {
    expect(names.needsApproval('files_write_file')).toBe(true);
    expect(names.needsApproval('files_write_files')).toBe(false);
  });

  it('passes names unchanged for one server without a prefix', () => {
    const solo = new McpNames([{ registry: 'ns/files', prefix: '' }], {
      tools: none,
      prompts: none,
      resources: none,
      exposeAs: {},
      requireApproval: [],
    });
    expect(solo.expose({ registry: 'ns/files', prefix: '' }, 'read')).toBe('read');
    expect(solo.resolveTool('read_file')).toMatchObject({ name: 'read_file' });
    expect(solo.resolveUri('file:///x')).toMatchObject({ name: 'file:///x' });
  });
});

describe('globsToRegex', () => {
  it('treats * and ? as wildcards and everything else literally', () => {
    const re = globsToRegex(['a.b*', 'x?z', '(c)']);
    expect(re?.test('a.bcd')).toBe(true);
    expect(re?.test('aXbcd')).toBe(false);
    expect(re?.test('xyz')).toBe(true);
    expect(re?.test('(c)')).toBe(true);
    expect(re?.test('c')).toBe(false);
    expect(globsToRegex([])).toBeUndefined();
  });
});
