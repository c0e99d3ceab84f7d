import { parseAmzDate, parseAwsAuthorization, signAwsRequest } from './sigv4';

/** AWS's SigV4 test suite credentials and time (docs: "Signature Version 4 test suite"). */
const suite = {
  region: 'us-east-1',
  service: 'service',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  date: new Date('2015-08-30T12:36:00Z'),
  applyChecksum: false,
};

describe('signAwsRequest', () => {
  it('matches the AWS test-suite vector get-vanilla', async () => {
    const headers = await signAwsRequest({ ...suite, method: 'GET', url: 'https://example.amazonaws.com/' });
    expect(headers).toEqual({
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      'x-amz-date': '20150830T123600Z',
    });
  });

  it('matches the AWS test-suite vector post-x-www-form-urlencoded (a signed body)', async () => {
    const headers = await signAwsRequest({
      ...suite,
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'Param1=value1',
    });
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
    );
  });

  it('signs a Bedrock POST like the SDKs: content hash and session token included', async () => {
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
    const headers = await signAwsRequest({
      method: 'POST',
      url: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      headers: { 'content-type': 'application/json' },
      body,
      region: 'us-west-2',
      service: 'bedrock',
      credentials: { ...suite.credentials, sessionToken: 'FwoGZXIvYXdzEBYaDH...' },
      date: suite.date,
    });
    const auth = parseAwsAuthorization(headers.authorization);
    expect(auth).toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      date: '20150830',
      region: 'us-west-2',
      service: 'bedrock',
      signedHeaders: ['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token'],
    });
    // sha256 of the body, hex
    expect(headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEBYaDH...');

    // a different body is a different signature
    const other = await signAwsRequest({
      method: 'POST',
      url: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      headers: { 'content-type': 'application/json' },
      body: body.replace('Hi', 'Ho'),
      region: 'us-west-2',
      service: 'bedrock',
      credentials: { ...suite.credentials, sessionToken: 'FwoGZXIvYXdzEBYaDH...' },
      date: suite.date,
    });
    expect(parseAwsAuthorization(other.authorization)?.signature).not.toBe(auth?.signature);
  });
});

describe('parseAwsAuthorization / parseAmzDate', () => {
  it.each<[string, string | undefined]>([
    ['Bearer abc', undefined],
    [
      'AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=zz',
      undefined,
    ],
  ])('rejects %s', (value, expected) => {
    expect(parseAwsAuthorization(value)).toBe(expected);
  });

  it.each<[string, string | undefined]>([
    ['20150830T123600Z', '2015-08-30T12:36:00.000Z'],
    ['2015-08-30T12:36:00Z', undefined],
  ])('parseAmzDate(%s)', (value, iso) => {
    expect(parseAmzDate(value)?.toISOString()).toBe(iso);
  });
});
