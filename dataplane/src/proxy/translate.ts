import type { CompiledProvider } from '@tollgate/protocol';
import { FORMATS } from '../formats';
import { wantsStreamUsage } from '../formats/openai-chat';
import type {
  ChatRequest,
  ChatResponse,
  ErrorInfo,
  FormatName,
  Frame,
  StreamEvent,
  Usage,
  WireFormat,
} from '../formats/ir';
import { TranslationError } from '../formats/ir';
import { parseSseEvent, sseText, UpstreamFormatError } from '../formats/wire';
import { decodeEventStream } from '../providers/aws/eventstream';
import { describeFailure } from '../providers/failure';
import {
  MOCK_PROFILE,
  applyQuirks,
  profileFor,
  quirksChange,
  type BodyQuirks,
  type FormatEndpoint,
  type ProviderProfile,
} from '../providers/profiles';
import type { StreamFilter } from '../policies/types';
import type { Operation } from '../providers/types';
import { errors, GatewayError } from '../errors/errors';
import { readableEvent, readableResponse } from './readable';
import type { Scrubber } from './scrub';
import { sseEvents } from './sse';

/** The wire format of each inbound chat API. */
export const INBOUND_FORMAT: Partial<Record<Operation, FormatName>> = {
  'chat.completions': 'openai-chat',
  messages: 'anthropic-messages',
  responses: 'openai-responses',
};

/**
 * How one request reaches one upstream: natively (the upstream speaks the caller's format, so the
 * body goes through unparsed but for what routing changes) or translated through the neutral model.
 */
export interface Plan {
  inbound: WireFormat;
  upstream: WireFormat;
  native: boolean;
  profile: ProviderProfile;
  endpoint: FormatEndpoint;
}

/** Plans are a function of the profile and the inbound format only: made once, then looked up. */
const plans = new Map<ProviderProfile, Map<FormatName, Plan>>();

export function planFor(inbound: FormatName, provider: CompiledProvider, model: string): Plan {
  const profile = provider === 'mock' ? MOCK_PROFILE : profileFor(provider, model);
  let byInbound = plans.get(profile);
  if (!byInbound) plans.set(profile, (byInbound = new Map()));
  let plan = byInbound.get(inbound);
  if (!plan) byInbound.set(inbound, (plan = makePlan(inbound, profile)));
  return plan;
}

function makePlan(inbound: FormatName, profile: ProviderProfile): Plan {
  const nativeEndpoint = profile.formats[inbound];
  const upstreamName = nativeEndpoint ? inbound : profile.chat;
  return {
    inbound: FORMATS[inbound],
    upstream: profile.codecs?.[upstreamName] ?? FORMATS[upstreamName],
    native: nativeEndpoint !== undefined,
    profile,
    endpoint: nativeEndpoint ?? (profile.formats[profile.chat] as FormatEndpoint),
  };
}

export interface UpstreamBody {
  body: Record<string, unknown>;
  /** The decoded request, when the body was translated (formats that echo it in responses use it). */
  request?: ChatRequest;
  /** Set when the caller's bytes can go as they are. */
  raw: Uint8Array | undefined;
  /** The gateway asked the upstream for stream usage the caller did not ask for: strip it on the way back. */
  injectedUsage: boolean;
}

/** The body to send: the caller's own bytes when nothing changes, else a re-encoded one. */
export function upstreamBody(
  plan: Plan,
  body: Record<string, unknown>,
  raw: Uint8Array,
  model: string,
  stream: boolean,
): UpstreamBody {
  const askUsage = stream && plan.profile.streamUsage === 'stream_options';
  if (plan.native)
    return nativeBody(body, raw, model, plan.endpoint.quirks, askUsage && !wantsStreamUsage(body));
  const request = decode(plan.inbound, body);
  request.model = model;
  request.stream = stream;
  const out = translating(() => plan.upstream.encodeRequest(request));
  if (askUsage) out.stream_options = { include_usage: true };
  return { body: applyQuirks(out, plan.endpoint.quirks), request, raw: undefined, injectedUsage: false };
}

/**
 * A body in the upstream's own format (the native path, embeddings): the caller's bytes when
 * nothing changes, else a copy with the upstream's model, quirks applied and, when the gateway asks
 * for stream usage on the caller's behalf, `stream_options.include_usage`.
 */
export function nativeBody(
  body: Record<string, unknown>,
  raw: Uint8Array,
  model: string,
  quirks?: BodyQuirks,
  injectedUsage = false,
): UpstreamBody {
  if (body.model === model && !injectedUsage && !quirksChange(body, quirks))
    return { body, raw, injectedUsage };
  const copy: Record<string, unknown> = { ...body, model };
  if (injectedUsage) copy.stream_options = { ...(copy.stream_options as object), include_usage: true };
  return { body: applyQuirks(copy, quirks), raw: undefined, injectedUsage };
}

function decode(format: WireFormat, body: Record<string, unknown>) {
  return translating(() => format.decodeRequest(body));
}

function translating<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof TranslationError)
      throw errors.badRequest(err.message, 'unsupported_translation', err.param);
    throw err;
  }
}

/**
 * A whole (non-streamed) upstream body, made ready for the caller; usage read on the way. The
 * decoded `response` comes with every translated success, and with native ones when `decode` asks
 * for it (a plugin inspects responses).
 */
export function responseBody(
  plan: Plan,
  status: number,
  payload: Buffer,
  model: string,
  request?: ChatRequest,
  decode = false,
): { body: Buffer | string; usage: Usage | undefined; response?: ChatResponse } {
  if (plan.native) {
    if (status >= 300) return { body: payload, usage: undefined };
    if (decode) {
      const parsed = tryJson(payload);
      const response = parsed === undefined ? undefined : decodeUpstream(plan, parsed);
      if (!response) throw unreadable(plan, parsed);
      return { body: payload, usage: response.usage, response };
    }
    // Checked and relayed, not parsed: only the usage object is, and the native path stays a relay.
    if (!readableResponse(payload, plan.upstream.name)) throw unreadable(plan, tryJson(payload));
    const usage = usageObject(payload);
    return { body: payload, usage: usage === undefined ? undefined : plan.upstream.usageOf({ usage }) };
  }
  const parsed = tryJson(payload);
  if (status >= 300) {
    const message =
      (parsed !== undefined ? plan.upstream.decodeErrorMessage(parsed) : undefined) ??
      `HTTP ${status}: ${payload.toString('utf8').slice(0, 200)}`;
    const info: ErrorInfo = { status, code: 'upstream_error', message };
    return { body: JSON.stringify(plan.inbound.encodeError(info)), usage: undefined };
  }
  if (parsed === undefined) throw errors.upstreamFailed('the upstream answered with a body that is not JSON');
  let res;
  try {
    res = plan.upstream.decodeResponse(parsed);
  } catch (err) {
    throw errors.upstreamFailed(err instanceof Error ? err.message : String(err));
  }
  if (!res.model) res.model = model;
  return { body: JSON.stringify(plan.inbound.encodeResponse(res, request)), usage: res.usage, response: res };
}

/**
 * 502: an upstream 200 whose body the caller could not read (not JSON, cut short, not the format's
 * shape), with the upstream's own error message when the body is an error after all.
 */
function unreadable(plan: Plan, parsed: unknown): GatewayError {
  const message = parsed === undefined ? undefined : plan.upstream.decodeErrorMessage(parsed);
  return errors.upstreamFailed(
    message === undefined
      ? `the upstream answered with a body that is not a readable ${plan.upstream.name} response`
      : `the upstream answered 200 with an error: ${message}`,
  );
}

/** A native body decoded for inspection; undefined when it is not the format's response after all. */
function decodeUpstream(plan: Plan, parsed: unknown): ChatResponse | undefined {
  try {
    return plan.upstream.decodeResponse(parsed);
  } catch {
    return undefined;
  }
}

const USAGE_KEY = Buffer.from('"usage"');

/**
 * The top-level `usage` object of a native body (every inbound format names it so), sliced out by
 * brace matching and parsed alone. It is the body's last field in every format's responses, hence
 * the search from the end.
 */
export function usageObject(payload: Buffer): unknown {
  const at = payload.lastIndexOf(USAGE_KEY);
  if (at === -1) return undefined;
  const start = payload.indexOf(0x7b /* { */, at + USAGE_KEY.length);
  if (start === -1) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < payload.length; i++) {
    const c = payload[i];
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d /* } */ && --depth === 0) return tryJson(payload.subarray(start, i + 1));
  }
  return undefined;
}

function tryJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

export interface StreamHooks {
  /** The totals so far; the last call is the answer. */
  onUsage(usage: Usage): void;
  /** What to tell the caller about a failure mid-stream; undefined: end silently (caller gone). */
  onError(err: unknown): ErrorInfo | undefined;
  /** Every event of the response, when a plugin needs the whole response (native streams decode for it). */
  onEvent?(event: StreamEvent): void;
  /** Plugins' rewriting of the events (translated streams only: a native stream with one is translated). */
  filter?: StreamFilter;
  /** Takes the registry's credentials out of each whole upstream event before it is read or relayed. */
  scrub?: Scrubber;
}

/** The upstream's stream as whole frames, whatever its framing. */
async function* framesOf(
  plan: Plan,
  source: AsyncIterable<Uint8Array>,
  scrub: Scrubber | undefined,
): AsyncGenerator<Frame> {
  if (plan.profile.framing === 'aws-eventstream') {
    for await (const frame of decodeEventStream(source))
      yield scrub ? { ...frame, data: scrub.text(frame.data) } : frame;
    return;
  }
  for await (const event of upstreamEvents(source, scrub)) {
    const frame = parseSseEvent(event.toString('utf8'));
    if (frame) yield frame;
  }
}

/** Whole SSE events, scrubbed when the registry has credentials (a whole event never splits one). */
function upstreamEvents(
  source: AsyncIterable<Uint8Array>,
  scrub: Scrubber | undefined,
): AsyncIterable<Buffer> {
  const events = sseEvents(source);
  if (!scrub) return events;
  return (async function* () {
    for await (const event of events) yield scrub.bytes(event);
  })();
}

/** A translated stream: upstream frames → neutral events → the caller's frames, event by event. */
export async function* translateStream(
  plan: Plan,
  source: AsyncIterable<Uint8Array>,
  model: string,
  includeUsage: boolean,
  hooks: StreamHooks,
  request?: ChatRequest,
): AsyncGenerator<Uint8Array> {
  const decoder = plan.upstream.streamDecoder();
  const encoder = plan.inbound.streamEncoder(request ? { includeUsage, request } : { includeUsage });
  try {
    for await (const frame of framesOf(plan, source, hooks.scrub)) {
      let out: Frame[] = [];
      for (const decoded of decoder.push(frame) as StreamEvent[]) {
        if (decoded.type === 'usage') hooks.onUsage(decoded.usage);
        if (decoded.type === 'start' && !decoded.model) decoded.model = model;
        for (const event of hooks.filter ? hooks.filter.push(decoded) : [decoded]) {
          hooks.onEvent?.(event);
          out = out.concat(encoder.push(event));
        }
      }
      if (out.length > 0) yield Buffer.from(sseText(out));
    }
    let out: Frame[] = [];
    for (const event of hooks.filter?.end() ?? []) {
      hooks.onEvent?.(event);
      out = out.concat(encoder.push(event));
    }
    yield Buffer.from(sseText([...out, ...encoder.end()]));
  } catch (err) {
    const info = hooks.onError(err);
    if (info) yield Buffer.from(sseText(encoder.error(info)));
  }
}

/**
 * A native stream: the upstream's events go through as they are; usage is read from the events
 * that carry it, and the usage chunk the gateway asked for on the caller's behalf is dropped.
 */
export async function* relayNativeStream(
  plan: Plan,
  source: AsyncIterable<Uint8Array>,
  injectedUsage: boolean,
  hooks: StreamHooks,
): AsyncGenerator<Uint8Array> {
  let usage: Partial<Usage> | undefined;
  const onEvent = hooks.onEvent;
  // Decoding is for the plugins only: a frame it cannot read stops it, never the relay.
  let decoder = onEvent ? plan.upstream.streamDecoder() : undefined;
  try {
    for await (const event of upstreamEvents(source, hooks.scrub)) {
      // An event the caller could not read ends the stream with an error event, as translated ones do.
      if (!readableEvent(event)) throw new UpstreamFormatError(`malformed stream event: ${preview(event)}`);
      if (decoder && onEvent) {
        try {
          const frame = parseSseEvent(event.toString('utf8'));
          if (frame) for (const e of decoder.push(frame)) onEvent(e);
        } catch {
          decoder = undefined;
        }
      }
      // A cheap test first: most events carry no usage.
      if (event.includes('"usage"') || event.includes('"usageMetadata"')) {
        const frame = parseSseEvent(event.toString('utf8'));
        const found = frame ? plan.upstream.usageOfFrame(frame) : undefined;
        if (found) {
          usage = { ...usage, ...found };
          hooks.onUsage({ inputTokens: 0, outputTokens: 0, ...usage });
          if (injectedUsage && event.includes('"choices":[]')) continue;
        }
      }
      yield event;
    }
  } catch (err) {
    const info = hooks.onError(err);
    if (info) yield Buffer.from(sseText(plan.inbound.streamEncoder({ includeUsage: false }).error(info)));
  }
}

/** A stream failure as the caller's format says it. */
export function streamFailure(err: unknown, deadline: boolean): ErrorInfo {
  // The gateway's own refusal (a plugin's stream filter): said as it is, not as an upstream failure.
  if (err instanceof GatewayError) return { status: err.status, code: err.code, message: err.message };
  if (deadline)
    return {
      status: 504,
      code: 'upstream_timeout',
      message: 'The upstream stream failed: request deadline exceeded',
    };
  const detail = err instanceof UpstreamFormatError ? err.message : describeFailure(err).message;
  return { status: 502, code: 'upstream_stream_error', message: `The upstream stream failed: ${detail}` };
}

/** The start of an event, for an error message. */
function preview(event: Buffer): string {
  return event.subarray(0, 80).toString('utf8').trim();
}
