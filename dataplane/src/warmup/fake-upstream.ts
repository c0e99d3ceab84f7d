import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FORMATS, type FormatName } from '../formats';
import type { ChatResponse, Frame } from '../formats/ir';
import { sseText } from '../formats/wire';
import { scenarioEvents } from '../providers/scenario';

/** The in-process upstream a warm-up's requests go to, on 127.0.0.1: never a real provider. */
export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`; the registry at index i of the warm config is served under `/u{i}`. */
  origin: string;
  close(): Promise<void>;
}

/** What the fake upstream answers, in every format: a few words of text and their usage. */
const REPLY: ChatResponse = {
  id: 'warmup',
  model: 'warm-up',
  content: [{ type: 'text', text: 'Foxes are quick, and the dog is lazy.' }],
  stopReason: 'end',
  usage: { inputTokens: 12, outputTokens: 8 },
};

interface Answer {
  contentType: string;
  body: Uint8Array | string;
}

/**
 * Answers every request under `/u{i}` in `formats[i]` through that format's own codec (as the
 * provider mocks of the tests do), streamed when the request asks for a stream (an SSE `accept`,
 * or Bedrock's `converse-stream` path).
 */
export async function startFakeUpstream(formats: readonly FormatName[]): Promise<FakeUpstream> {
  // Bedrock's framing is loaded only for a config that has a Bedrock upstream.
  const eventStream = formats.includes('bedrock-converse')
    ? (await import('../providers/aws/eventstream')).encodeEventStream
    : undefined;
  const answers = new Map<string, Answer>();
  const answerFor = (format: FormatName, stream: boolean): Answer => {
    const key = `${format}${stream ? ' stream' : ''}`;
    let a = answers.get(key);
    if (!a) {
      a = answer(format, stream, eventStream);
      answers.set(key, a);
    }
    return a;
  };
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const i = Number(/^\/u(\d+)\//.exec(url)?.[1] ?? -1);
    const format = formats[i] ?? 'openai-chat';
    const stream =
      (req.headers.accept ?? '').includes('text/event-stream') || url.includes('converse-stream');
    // The request body is read to its end, as a provider does, before the answer.
    req.resume();
    req.once('end', () => {
      const a = answerFor(format, stream);
      res.writeHead(200, { 'content-type': a.contentType });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(
  format: FormatName,
  stream: boolean,
  eventStream: ((frames: readonly Frame[]) => Uint8Array[]) | undefined,
): Answer {
  const codec = FORMATS[format];
  if (!stream) return { contentType: 'application/json', body: JSON.stringify(codec.encodeResponse(REPLY)) };
  const encoder = codec.streamEncoder({ includeUsage: true });
  const frames = [...scenarioEvents(REPLY).flatMap((e) => encoder.push(e)), ...encoder.end()];
  if (format === 'bedrock-converse' && eventStream)
    return { contentType: 'application/vnd.amazon.eventstream', body: Buffer.concat(eventStream(frames)) };
  return { contentType: 'text/event-stream', body: sseText(frames) };
}
