import { errors } from './errors';

describe('errors that teach', () => {
  it('a wrong model names up to ten valid ones, then how many more and where to list them', () => {
    expect(errors.unknownModel('gpt-5', ['a', 'b']).message).toBe(
      "The model 'gpt-5' does not exist or you do not have access to it. Models you can use: 'a', 'b'.",
    );
    const many = Array.from({ length: 13 }, (_, i) => `m${i}`);
    const message = errors.unknownModel('x', many).message;
    expect(message).toContain("'m0', 'm1'");
    expect(message).toContain("'m9' and 3 more (GET /v1/models).");
    expect(message).not.toContain("'m10'");
    expect(errors.unknownModel('x').message).toContain('GET /v1/models lists the models you can use.');
  });

  it('an unknown URL shows both ways of addressing a consumer', () => {
    const e = errors.unknownEndpoint('POST', '/chat/completions');
    expect(e).toMatchObject({ status: 404, code: 'unknown_url' });
    expect(e.message).toContain('POST /chat/completions');
    expect(e.message).toContain('/{consumer}/v1/chat/completions');
    expect(e.message).toContain("the same without '/{consumer}'");
  });

  it('a gateway that is not found is named by what the caller sent', () => {
    expect(errors.unknownGateway({ slug: 'acmee' }).message).toContain("No gateway has the slug 'acmee'");
    expect(errors.unknownGateway({ host: 'localhost:8081' }).message).toContain("the Host 'localhost:8081'");
    expect(errors.unknownGateway().message).toContain('X-AG-Gateway-Slug');
  });
});
