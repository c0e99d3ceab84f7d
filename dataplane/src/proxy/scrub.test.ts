import type { CompiledRegistry } from '@tollgate/protocol';
import { registry } from '../testing/resources';
import { GatewayError } from '../errors/errors';
import { MIN_SECRET_LENGTH, needlesOf, scrubberFor } from './scrub';

const reg = (body: Partial<CompiledRegistry>) => registry('r', body).body;

describe('scrubbing registry credentials from relayed text', () => {
  it('finds the API key, the AWS keys and a service-account private key, as they are and JSON-escaped', () => {
    const privateKey = '-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBg\n-----END PRIVATE KEY-----\n';
    expect(needlesOf(reg({ apiKey: 'sk-live-123456' }))).toEqual(['sk-live-123456']);
    const aws = needlesOf(
      reg({
        bedrock: { region: 'us-east-1', accessKeyId: 'AKIDEXAMPLE1', secretAccessKey: 'wJal/K7MD+ENG' },
      }),
    );
    expect(aws).toEqual(expect.arrayContaining(['AKIDEXAMPLE1', 'wJal/K7MD+ENG', 'wJal\\/K7MD+ENG']));
    const sa = JSON.stringify({
      type: 'service_account',
      private_key: privateKey,
      private_key_id: 'abcdef0123456789',
    });
    const vertex = needlesOf(reg({ provider: 'vertex', apiKey: sa }));
    expect(vertex).toEqual(
      expect.arrayContaining([sa, privateKey, JSON.stringify(privateKey).slice(1, -1), 'abcdef0123456789']),
    );
    // longest first: a credential holding another is removed whole
    expect(vertex[0]).toBe(JSON.stringify(sa).slice(1, -1));
  });

  it(`leaves credentials shorter than ${MIN_SECRET_LENGTH} characters alone, and has nothing to do without any`, () => {
    expect(scrubberFor([reg({ apiKey: 'x' })])).toBeUndefined();
    expect(scrubberFor([reg({})])).toBeUndefined();
    expect(scrubberFor([])).toBeUndefined();
  });

  it('replaces every occurrence in text, bytes and error messages; returns clean input itself', () => {
    const s = scrubberFor([reg({ apiKey: 'sk-upstream-secret' })]);
    if (!s) throw new Error('expected a scrubber');
    expect(s.text('bad key sk-upstream-secret (sk-upstream-secret)')).toBe('bad key [redacted] ([redacted])');
    const clean = Buffer.from('{"choices":[]}');
    expect(s.bytes(clean)).toBe(clean);
    expect(s.bytes(Buffer.from('{"m":"Bearer sk-upstream-secret"}')).toString()).toBe(
      '{"m":"Bearer [redacted]"}',
    );
    const e = new GatewayError(
      502,
      'upstream_error',
      'failed for sk-upstream-secret',
      { 'retry-after': '1' },
      'p',
    );
    const scrubbed = s.error(e);
    expect(scrubbed).toMatchObject({
      status: 502,
      code: 'upstream_error',
      param: 'p',
      message: 'failed for [redacted]',
    });
    expect(scrubbed.headers).toEqual({ 'retry-after': '1' });
    const plain = new GatewayError(502, 'upstream_error', 'nothing secret');
    expect(s.error(plain)).toBe(plain);
  });

  it('scrubs the credentials of every registry a request tried', () => {
    const s = scrubberFor([reg({ apiKey: 'first-key-1234' }), reg({ apiKey: 'second-key-5678' })]);
    expect(s?.text('first-key-1234 then second-key-5678')).toBe('[redacted] then [redacted]');
  });
});
