import { MAX_JSON_DEPTH } from '../formats/depth';
import { GatewayError } from '../errors/errors';
import { parseJsonObject } from './body';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('parseJsonObject', () => {
  it('parses a JSON object nested up to the limit', () => {
    const body = `{"a":${nested(MAX_JSON_DEPTH - 1)}}`;
    expect(parseJsonObject(Buffer.from(body))).toEqual(JSON.parse(body));
  });

  it.each([MAX_JSON_DEPTH, 10_000, 1_000_000])(
    'refuses a body nested %p levels below the top: 400 json_too_deep',
    (depth) => {
      let err: unknown;
      try {
        parseJsonObject(Buffer.from(`{"a":${nested(depth)}}`));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ status: 400, code: 'json_too_deep' });
    },
  );

  it('malformed JSON stays invalid_json, even when deep', () => {
    expect(() => parseJsonObject(Buffer.from(`{"a":${'['.repeat(10_000)}`))).toThrow(
      expect.objectContaining({ code: 'invalid_json' }) as Error,
    );
  });
});
