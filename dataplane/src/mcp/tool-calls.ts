import type { CompiledPromptGuard, CompiledRateLimit } from '@tollgate/protocol';
import type { RuntimeConsumer } from '../config/snapshot';
import { isObject, type Json } from '../formats/wire';
import {
  describeFindings,
  inspectSlots,
  type Finding,
  type GuardSlot,
} from '../policies/prompt-guard/decide';
import { createScanner, type Scanner } from '../policies/prompt-guard/scanner';
import { counterKeyOf, type KeySource } from '../policies/rate-limit/key';
import type { RateLimiter } from '../policies/rate-limit/limiter';
import { formatMs, PER } from '../policies/rate-limit/plugin';
import { MCP_ERRORS, McpError } from './jsonrpc';

/**
 * The consumer's Policies applied to one `tools/call`, as they apply to a completion:
 *
 * - `rateLimit` counts each tool call in a counter of its own per tool: the Policy's `key`
 *   (Consumer, APIKey, …) plus the tool's prefixed name, so one busy tool does not starve the
 *   others. Other MCP messages (lists, reads, pings) are not counted.
 * - `promptGuard` reads the call's arguments when it applies to `Request`, and the server's result
 *   when it applies to `Response`, with its built-in detectors and patterns on the JSON's string
 *   values (its webhook is not asked for tool calls). Mask rewrites them; Reject refuses.
 * - `requestSize.maxBodyBytes` is the body limit of every MCP message (checked while it is read).
 *
 * A refusal is a JSON-RPC error naming the rule; the call never reaches its server.
 */
export interface ToolCallPolicies {
  /** Before the call reaches its server: counts it and checks its arguments; the arguments to send. */
  admit(tool: string, args: unknown): Promise<unknown>;
  /** The server's answer to the call, as the client will see it (masked, or refused). */
  answer(message: Json): Json;
}

/** What a counter key is derived from: the caller, as the LLM endpoints see it. */
export type ToolCaller = KeySource & { readonly consumer: RuntimeConsumer };

const scanners = new WeakMap<CompiledPromptGuard, Scanner>();
const keyers = new WeakMap<CompiledRateLimit, (req: KeySource) => string>();

/** The policies of a consumer's tool calls; undefined when none applies (nothing to do per call). */
export function toolCallPolicies(
  limiter: RateLimiter | undefined,
  caller: ToolCaller,
): ToolCallPolicies | undefined {
  const plugins = caller.consumer.plugins.byName;
  const rate = limiter ? plugins.rateLimit : undefined;
  const guard = plugins.promptGuard;
  if (!rate && !guard) return undefined;
  const scanner = guard && scannerOf(guard.config);
  const onArgs = guard?.config.applyTo.includes('Request') ? scanner : undefined;
  const onResult = guard?.config.applyTo.includes('Response') ? scanner : undefined;

  return {
    async admit(tool, args) {
      if (rate && limiter) await count(limiter, rate.policy, rate.config, caller, tool);
      if (!onArgs || !guard || args === undefined) return args;
      const slot: GuardSlot = {
        path: 'arguments',
        where: 'arguments',
        text: JSON.stringify(args),
        json: true,
      };
      const verdict = inspectSlots(onArgs, guard.config.action, [slot]);
      if (verdict.kind === 'clean') return args;
      if (verdict.kind === 'reject') throw argumentsBlocked(tool, verdict.findings);
      return JSON.parse(verdict.texts[0] ?? slot.text) as unknown;
    },
    answer(message) {
      if (!onResult || !guard || !isObject(message.result)) return message;
      const slot: GuardSlot = {
        path: 'result',
        where: 'result',
        text: JSON.stringify(message.result),
        json: true,
      };
      const verdict = inspectSlots(onResult, guard.config.action, [slot]);
      if (verdict.kind === 'clean') return message;
      if (verdict.kind === 'reject') {
        const e = resultBlocked(verdict.findings);
        return { jsonrpc: '2.0', id: message.id ?? null, error: { code: e.code, message: e.message } };
      }
      return { ...message, result: JSON.parse(verdict.texts[0] ?? slot.text) as Json };
    },
  };
}

async function count(
  limiter: RateLimiter,
  policy: string,
  config: CompiledRateLimit,
  caller: ToolCaller,
  tool: string,
): Promise<void> {
  let keyOf = keyers.get(config);
  if (!keyOf) keyers.set(config, (keyOf = counterKeyOf(policy, config)));
  const rule = { limit: config.requests, windowMs: config.windowMs, algorithm: config.algorithm };
  const outcome = await limiter.hit(policy, `${keyOf(caller)}:tool:${tool}`, rule, config.failureMode);
  if (outcome.kind === 'unavailable') {
    throw new McpError(
      MCP_ERRORS.RateLimited,
      'The rate limiter is unavailable and this limit is configured to fail closed. Try again in 1s.',
    );
  }
  const d = outcome.decision;
  if (d.allowed) return;
  const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
  throw new McpError(
    MCP_ERRORS.RateLimited,
    `Rate limit reached for tool '${tool}' (${config.requests} calls per ${formatMs(config.windowMs)} per ${PER[config.key]} and tool). Try again in ${seconds}s.`,
    200,
    { retryAfterSeconds: seconds },
  );
}

function scannerOf(config: CompiledPromptGuard): Scanner {
  let s = scanners.get(config);
  if (!s) scanners.set(config, (s = createScanner(config)));
  return s;
}

function argumentsBlocked(tool: string, findings: readonly Finding[]): McpError {
  return new McpError(
    MCP_ERRORS.Blocked,
    `The call to tool '${tool}' was blocked by a prompt guard: it contains ${describeFindings(findings)}. Remove that data and retry.`,
  );
}

function resultBlocked(findings: readonly Finding[]): McpError {
  return new McpError(
    MCP_ERRORS.Blocked,
    `The tool's result was blocked by a prompt guard: it contains ${describeFindings(findings)}.`,
  );
}
