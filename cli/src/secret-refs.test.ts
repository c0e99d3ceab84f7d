import type { Secret } from '@tollgate/controller/api/v1alpha1';
import { expandSecretRefs, type SecretSources } from './secret-refs';

const secret = (stringData: Record<string, string>, data?: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'creds', namespace: 'team' },
  stringData,
  ...(data ? { data } : {}),
});

const files: Record<string, string> = {
  '/run/key': 'sk-from-file\n',
  '/run/crlf': 'sk-crlf\r\n',
  '/run/empty': '\n',
};
const sources: SecretSources = {
  env: { OPENAI_API_KEY: 'sk-from-env', EMPTY: '' },
  readFile: (p) => {
    const content = files[p];
    if (content === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return content;
  },
};

describe('expandSecretRefs', () => {
  it.each([
    ['${env:OPENAI_API_KEY}', 'sk-from-env'],
    ['${file:/run/key}', 'sk-from-file'],
    ['${file:/run/crlf}', 'sk-crlf'],
    ['Bearer ${env:OPENAI_API_KEY}', 'Bearer sk-from-env'],
    ['${ env:OPENAI_API_KEY }', '${ env:OPENAI_API_KEY }'],
    ['plain-value', 'plain-value'],
    ['$OPENAI_API_KEY', '$OPENAI_API_KEY'],
  ])('%s → %s', (value, expected) => {
    const r = expandSecretRefs([secret({ apiKey: value })], sources);
    expect(r.errors).toEqual([]);
    expect(r.secrets[0]?.stringData).toEqual({ apiKey: expected });
  });

  it.each([
    ['${env:MISSING_KEY}', 'environment variable MISSING_KEY is not set'],
    ['${env:EMPTY}', 'environment variable EMPTY is empty'],
    ['${env:}', '${env:} names no variable'],
    ['${file:/run/none}', 'file /run/none cannot be read (no such file)'],
    ['${file:/run/empty}', 'file /run/empty is empty'],
  ])('%s is an error naming where it looked', (value, message) => {
    const r = expandSecretRefs([secret({ apiKey: value, other: '${env:OPENAI_API_KEY}' })], sources);
    expect(r.errors).toEqual([`Secret team/creds stringData.apiKey: ${message}`]);
    expect(r.errors.join()).not.toContain('sk-from-env');
  });

  it('leaves Secrets without references (and base64 data) as they are', () => {
    const plain = secret({ a: 'b' }, { c: 'JHtlbnY6WH0=' });
    const r = expandSecretRefs([plain], sources);
    expect(r.secrets[0]).toBe(plain);
  });
});
