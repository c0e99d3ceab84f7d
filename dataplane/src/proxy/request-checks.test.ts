import { GatewayError } from '../errors/errors';
import { MAX_MODEL_NAME_LENGTH, MAX_OUTPUT_TOKENS, checkModelName, checkTokenLimits } from './request-checks';

function refusal(f: () => void): GatewayError | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  return undefined;
}

describe('checkModelName', () => {
  it.each([
    'gpt-4o',
    'claude-sonnet-4-5@20250929',
    'anthropic.claude-3-5-sonnet-20240620-v1:0',
    'ft:gpt-4o-mini:org:custom:abc123',
    'meta-llama/Llama-3.1-8B-Instruct:free',
    '@openai/gpt-4o',
    'pool:fast',
    'm'.repeat(MAX_MODEL_NAME_LENGTH),
  ])('accepts %s', (model) => {
    expect(refusal(() => checkModelName(model))).toBeUndefined();
  });

  it.each([
    ['a line separator', 'a\u2028b'],
    ['an emoji', '🤖'],
    ['NUL', 'a\u0000'],
    ['a lone surrogate', '\ud800'],
    ['right-to-left override', 'a\u202eb'],
    ['a tab', 'a\tb'],
    ['a space', 'gpt 4o'],
    ['Latin-1', 'mod\u00e8le'],
    ['too many characters', 'm'.repeat(MAX_MODEL_NAME_LENGTH + 1)],
  ])('refuses a name with %s: 400 invalid_model on param model', (_name, model) => {
    const e = refusal(() => checkModelName(model));
    expect(e).toMatchObject({ status: 400, code: 'invalid_model', param: 'model' });
  });
});

describe('checkTokenLimits', () => {
  it.each([
    ['chat.completions', 'max_tokens'],
    ['chat.completions', 'max_completion_tokens'],
    ['messages', 'max_tokens'],
    ['responses', 'max_output_tokens'],
  ] as const)('%s: %s must be an integer in 1..2^31-1', (op, field) => {
    for (const bad of ['5', -1, 0, 1.5, 1e308, Infinity, NaN, true, [], {}, MAX_OUTPUT_TOKENS + 1]) {
      expect(refusal(() => checkTokenLimits(op, { [field]: bad }))).toMatchObject({
        status: 400,
        code: 'invalid_max_tokens',
        param: field,
      });
    }
    for (const good of [1, 4096, MAX_OUTPUT_TOKENS, null, undefined]) {
      expect(refusal(() => checkTokenLimits(op, { [field]: good }))).toBeUndefined();
    }
  });

  it('leaves fields of other operations alone', () => {
    expect(refusal(() => checkTokenLimits('responses', { max_tokens: 'x' }))).toBeUndefined();
    expect(refusal(() => checkTokenLimits('embeddings', { max_tokens: -1 }))).toBeUndefined();
  });
});
