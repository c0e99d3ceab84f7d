import type { RuntimeConsumer, RuntimeGateway } from '../config/snapshot';
import { FORMATS } from '../formats';
import type { ChatRequest, ChatResponse, Usage } from '../formats/ir';
import type { PolicyRequest } from '../policies/types';
import type { Operation } from '../providers/types';
import type { Exchange } from './exchange';
import { INBOUND_FORMAT } from './translate';

/** What the policy stages see of one request; built only for consumers that have plugins. */
export class ProxyPolicyRequest implements PolicyRequest {
  readonly method: string;
  readonly clientIp: string | undefined;
  readonly apiKeyHash: string;
  body: Readonly<Record<string, unknown>> | undefined;
  /** A plugin replaced the body: the proxy re-reads model and stream and re-serialises it. */
  bodyReplaced = false;
  upstream?: { readonly registry: string; readonly model: string };
  response?: { readonly status: number; readonly stream: boolean; readonly cached?: boolean };
  usage?: Usage;
  responseContent?: ChatResponse;
  /** null: decoding failed (not retried). */
  private decoded: ChatRequest | null | undefined;

  constructor(
    private readonly x: Exchange,
    readonly responseHeaders: Record<string, string>,
    readonly requestId: string,
    readonly operation: Operation,
    readonly gateway: RuntimeGateway,
    readonly consumer: RuntimeConsumer,
    keyDigest: Buffer,
    body: Record<string, unknown> | undefined,
  ) {
    this.method = x.method;
    this.clientIp = x.remoteAddress;
    this.apiKeyHash = keyDigest.toString('hex');
    this.body = body;
  }

  header(name: string): string | undefined {
    return this.x.header(name);
  }

  setBody(body: Record<string, unknown>): void {
    this.body = body;
    this.bodyReplaced = true;
    this.decoded = undefined;
  }

  chat(): ChatRequest | undefined {
    if (this.decoded !== undefined) return this.decoded ?? undefined;
    const format = INBOUND_FORMAT[this.operation];
    if (!format || !this.body) return undefined;
    try {
      this.decoded = FORMATS[format].decodeRequest(this.body as Record<string, unknown>);
    } catch {
      this.decoded = null;
    }
    return this.decoded ?? undefined;
  }
}
