import { bearerChallenge, metadataUrl, originOf, resourceUrl } from './challenge';
import { ToolScopes, scopesOfClaims } from './scopes';

describe('ToolScopes', () => {
  const scopes = new ToolScopes({
    scopes: [
      { scope: 'weather:read', tools: ['weather_get_*'] },
      { scope: 'files:rw', tools: ['files_read_*', 'files_write_?'] },
    ],
  });

  it.each([
    [['mcp:tools'], 'files_delete_all', true],
    [['mcp:tools:weather_sleep'], 'weather_sleep', true],
    [['mcp:tools:weather_sleep'], 'weather_sleepy', false],
    [['weather:read'], 'weather_get_forecast', true],
    [['weather:read'], 'weather_sleep', false],
    [['files:rw'], 'files_write_a', true],
    [['files:rw'], 'files_write_ab', false],
    [['mcp:toolsx', 'weather'], 'weather_get_forecast', false],
    [[], 'weather_get_forecast', false],
  ])('%j grants %s: %s', (granted, tool, expected) => {
    expect(scopes.grants(new Set(granted), tool)).toBe(expected);
  });

  it('lists the supported scopes and the ones that would grant a tool', () => {
    expect(scopes.supported).toEqual(['mcp:tools', 'weather:read', 'files:rw']);
    expect(scopes.grantingScopes('weather_get_x')).toEqual(['weather:read']);
    expect(scopes.grantingScopes('weather_sleep')).toEqual(['mcp:tools:weather_sleep']);
    expect(new ToolScopes(undefined).supported).toEqual(['mcp:tools']);
  });

  it('reads scope (space-separated) and scp (array) claims', () => {
    expect(scopesOfClaims({ scope: 'a  b' })).toEqual(new Set(['a', 'b']));
    expect(scopesOfClaims({ scp: ['c', 1, ''] })).toEqual(new Set(['c']));
    expect(scopesOfClaims({ scope: 7 })).toEqual(new Set());
  });
});

describe('challenge', () => {
  it('builds the URLs from the origin the client used', () => {
    const origin = originOf({ forwardedProto: 'https, http', host: 'gw.example.com' });
    expect(origin).toBe('https://gw.example.com');
    expect(originOf({ forwardedProto: undefined, host: '127.0.0.1:8080' })).toBe('http://127.0.0.1:8080');
    expect(resourceUrl(origin, 'bot')).toBe('https://gw.example.com/bot/mcp');
    expect(metadataUrl(origin, 'bot')).toBe(
      'https://gw.example.com/.well-known/oauth-protected-resource/bot/mcp',
    );
  });

  it('quotes Bearer parameters as RFC 6750 allows (no quote or backslash inside)', () => {
    expect(
      bearerChallenge({
        metadataUrl: 'https://g/m',
        error: 'invalid_token',
        description: 'bad "token"\\ é',
      }),
    ).toBe(
      'Bearer error="invalid_token", resource_metadata="https://g/m", error_description="bad ?token?? ?"',
    );
    expect(bearerChallenge({ metadataUrl: 'https://g/m', scopes: ['a', 'b'] })).toBe(
      'Bearer scope="a b", resource_metadata="https://g/m"',
    );
  });
});
