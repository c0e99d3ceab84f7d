/**
 * The gateway's neutral model of one chat exchange. Every wire format (OpenAI Chat Completions,
 * Anthropic Messages, OpenAI Responses, Bedrock Converse, Gemini) decodes into it and encodes from
 * it, so n formats need n codecs rather than n² translators. It follows Anthropic's shape where the
 * formats differ (tool results are parts of a user turn; the system prompt stands apart), because
 * that shape maps onto every other format without loss.
 *
 * Pure data: no I/O, no classes, JSON-serialisable.
 */

export type FormatName =
  'openai-chat' | 'anthropic-messages' | 'openai-responses' | 'bedrock-converse' | 'gemini';

export interface TextPart {
  type: 'text';
  text: string;
}

export type ImageSource =
  | { kind: 'url'; url: string }
  /** `data` is base64 without a `data:` prefix. */
  | { kind: 'base64'; mediaType: string; data: string };

export interface ImagePart {
  type: 'image';
  source: ImageSource;
}

/** A call the assistant makes; `arguments` is the JSON text of the arguments object, as models emit it. */
export interface ToolCallPart {
  type: 'tool_call';
  id: string;
  name: string;
  arguments: string;
}

/** The result of a tool call, sent back in a user turn. */
export interface ToolResultPart {
  type: 'tool_result';
  toolCallId: string;
  /** The called tool's name, when the source format carries it or it could be looked up (Gemini needs it). */
  name?: string;
  content: (TextPart | ImagePart)[];
  isError?: boolean;
}

export type Part = TextPart | ImagePart | ToolCallPart | ToolResultPart;

export interface Message {
  role: 'user' | 'assistant';
  content: Part[];
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  /** The model must call some tool. */
  | { type: 'required' }
  | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      name: string;
      schema: Record<string, unknown>;
      strict?: boolean;
      description?: string;
    };

export interface ChatRequest {
  /** The model name as sent upstream (routing may rewrite it before encoding). */
  model: string;
  /** System instructions, in order; empty when there are none. */
  system: TextPart[];
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** false: at most one tool call per turn. */
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  stream: boolean;
  /** An end-user identifier, where the format has one (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
}

export type StopReason = 'end' | 'max_tokens' | 'stop_sequence' | 'tool_calls' | 'content_filter';

/**
 * Token counts. `inputTokens` counts every input token, cached ones included (OpenAI's meaning);
 * formats that report cache reads and writes apart from input (Anthropic) add them on decode and
 * subtract them on encode.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache. */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache. */
  cacheWriteInputTokens?: number;
  /** Output tokens spent on reasoning (included in outputTokens). */
  reasoningTokens?: number;
}

export interface ChatResponse {
  id: string;
  model: string;
  /** Text and tool calls, in the order the model produced them. */
  content: (TextPart | ToolCallPart)[];
  stopReason: StopReason;
  usage?: Usage;
  /** The text the model stopped on, when it stopped on one of `stop`. */
  stopSequence?: string;
}

/**
 * One step of a streamed response. Tool calls are numbered by `index` in the order they start
 * (0, 1, …), whatever the source format numbers them by.
 */
export type StreamEvent =
  | { type: 'start'; id: string; model: string }
  | { type: 'text'; text: string }
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  | { type: 'tool_call_delta'; index: number; arguments: string }
  | { type: 'finish'; stopReason: StopReason; stopSequence?: string }
  /** The totals so far (not an increment): when several arrive, the last one is the answer. */
  | { type: 'usage'; usage: Usage };

/** A wire frame of a streamed upstream body: an SSE event, or an AWS event-stream message. */
export interface Frame {
  /** The SSE `event:` field or the event-stream `:event-type` header; undefined when absent. */
  event?: string;
  /** The SSE `data:` text or the event-stream payload as text. */
  data: string;
}

/**
 * Turns upstream frames into stream events; stateful, one per response. Throws UpstreamFormatError
 * (wire.ts) for a malformed frame and for an error the upstream reports in the stream, with its message.
 */
export interface StreamDecoder {
  push(frame: Frame): StreamEvent[];
}

/**
 * Turns stream events into this format's frames; stateful, one per response. The framing (SSE for
 * clients and most upstreams, AWS event-stream for Bedrock) is applied by the caller, so every
 * format's encoder can also drive a mock upstream.
 */
export interface StreamEncoder {
  push(event: StreamEvent): Frame[];
  /** Closes the stream (final events, OpenAI's `[DONE]`, …). Called once after the last event. */
  end(): Frame[];
  /** An error event in this format for a failure mid-stream; nothing follows it. */
  error(e: ErrorInfo): Frame[];
}

/** A request or response the target format cannot express, or a malformed one: answered with 400. */
export class TranslationError extends Error {
  constructor(
    message: string,
    /** The offending field, e.g. `messages[2].content[0]`. */
    readonly param?: string,
  ) {
    super(message);
    this.name = 'TranslationError';
  }
}

/** What the gateway says about an error, before it is rendered in a client's format. */
export interface ErrorInfo {
  status: number;
  /** Machine-readable code, e.g. `invalid_api_key`. */
  code: string;
  message: string;
  param?: string;
}

/**
 * One wire format. As the inbound side it decodes the client's request and encodes responses,
 * stream events and errors for the client; as the outbound side it encodes the upstream request and
 * decodes the upstream's response, stream and errors. Codecs are pure: paths, headers, auth and
 * framing belong to the provider that uses the format.
 */
export interface WireFormat {
  readonly name: FormatName;

  /** Client body → request. Throws TranslationError for malformed input. */
  decodeRequest(body: Record<string, unknown>): ChatRequest;
  /** Response → client body; `req`, when known, lets formats that echo the request (Responses) do so. */
  encodeResponse(res: ChatResponse, req?: ChatRequest): Record<string, unknown>;
  /**
   * `includeUsage`: the client asked for usage in the stream (OpenAI's stream_options.include_usage);
   * `request`: the decoded request, for formats that echo it.
   */
  streamEncoder(opts: { includeUsage: boolean; request?: ChatRequest }): StreamEncoder;
  /** The client-facing error body for this format. */
  encodeError(e: ErrorInfo): Record<string, unknown>;

  /** Request → upstream body. Throws TranslationError for what the format cannot express. */
  encodeRequest(req: ChatRequest): Record<string, unknown>;
  /** Upstream body → response. Throws UpstreamFormatError (wire.ts) when the body is not this format. */
  decodeResponse(body: unknown): ChatResponse;
  streamDecoder(): StreamDecoder;
  /** The message of an upstream error body, or undefined when the body is not this format's error. */
  decodeErrorMessage(body: unknown): string | undefined;

  /** Usage in an upstream response body of this format, cheaply, for the native pass-through path. */
  usageOf(body: unknown): Usage | undefined;
  /**
   * Usage carried by one stream frame of this format, if any (native pass-through path). Fields a
   * frame does not report are absent; the caller merges frames, later fields replacing earlier ones.
   */
  usageOfFrame(frame: Frame): Partial<Usage> | undefined;
}
