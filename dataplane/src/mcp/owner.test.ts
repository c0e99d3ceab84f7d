import { IdleSessions } from './idle';
import { McpNames } from './names';
import { ownerOf, toolLabel } from './owner';

const mcp = {
  servers: [
    { registry: 'default/weather', prefix: 'weather' },
    { registry: 'default/files', prefix: 'files' },
  ],
  tools: { allow: ['files_read_file', 'weather_*'], deny: [] },
  prompts: { allow: [], deny: [] },
  resources: { allow: [], deny: [] },
  exposeAs: { weather_get_forecast: 'forecast' },
  requireApproval: ['files_write_?ile'],
  onServerDown: 'FailOpen' as const,
};
const names = new McpNames(mcp.servers, mcp);

describe('ownerOf: the server a message is addressed to', () => {
  it.each([
    ['tools/call', { name: 'files_read_file' }, 'default/files'],
    ['tools/call', { name: 'forecast' }, 'default/weather'],
    ['tools/call', { name: 'nobody_tool' }, undefined],
    ['prompts/get', { name: 'weather_daily_brief' }, 'default/weather'],
    ['resources/read', { uri: 'files+file:///a.txt' }, 'default/files'],
    ['completion/complete', { ref: { type: 'ref/prompt', name: 'weather_brief' } }, 'default/weather'],
    ['completion/complete', { ref: { type: 'ref/resource', uri: 'files+file:///{x}' } }, 'default/files'],
    ['tools/list', {}, undefined],
    ['initialize', {}, undefined],
  ])('%s %j → %s', (method, params, owner) => {
    expect(ownerOf(method, params, names)).toBe(owner);
  });
});

describe('toolLabel: only config-known tool names become labels', () => {
  it.each([
    ['files_read_file', 'files_read_file'],
    ['weather_get_forecast', 'weather_get_forecast'],
    ['weather_sleep', 'other'],
    ['files_write_file', 'other'],
    ['made_up_by_a_caller', 'other'],
  ])('%s → %s', (tool, label) => {
    expect(toolLabel(mcp, tool)).toBe(label);
  });
});

describe('IdleSessions.live: sessions used within their idle limit, not ended', () => {
  it('counts recent sessions, not idle or ended ones', () => {
    const idle = new IdleSessions();
    idle.touch('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', 1000, 500);
    idle.touch('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2', 1200, 500);
    idle.touch('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3', 1300, 500);
    idle.end('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3');
    expect(idle.live(1400)).toBe(2);
    expect(idle.live(1600)).toBe(1);
    expect(idle.live(1800)).toBe(0);
  });
});
