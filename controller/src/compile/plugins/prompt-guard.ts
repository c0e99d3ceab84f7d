import { GUARD_PATTERN_FLAGS, type CompiledPromptGuard, type GuardDetector } from '@tollgate/protocol';
import { FAILURE_MODES, type PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { duration } from '../common';
import { oneOf } from './fields';
import { nestedRepetition } from './regex-safety';

const DETECTORS: readonly GuardDetector[] = ['Email', 'Phone', 'CreditCard', 'SSN', 'IBAN'];
const PLACES = ['Request', 'Response'] as const;
/** A pattern's name becomes its mask label (`[EMPLOYEE_ID]`) and appears in error messages. */
const PATTERN_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const TIMEOUT_DEFAULT_MS = 2000;
/** Below 10ms a webhook can only fail; above 30s it holds a request longer than any guard should. */
const TIMEOUT_MIN_MS = 10;
const TIMEOUT_MAX_MS = 30_000;
/** Texts a pattern is tried on to find one that matches the empty string somewhere. */
const EMPTY_PROBES = ['', 'a', 'Z 9', ' .-_@\n'];

type Spec = NonNullable<PolicyPlugins['promptGuard']>;

export function compilePromptGuard(status: StatusBuilder, at: string, spec: Spec): CompiledPromptGuard {
  const action = oneOf(status, `${at}.action`, spec.action, ['Mask', 'Reject'] as const, 'Reject');
  const detectors = enumSet(status, `${at}.detectors`, spec.detectors, DETECTORS, []);
  const applyTo = enumSet(status, `${at}.applyTo`, spec.applyTo, PLACES, ['Request']);
  if (Array.isArray(spec.applyTo) && spec.applyTo.length === 0) {
    status.reject('Invalid', `${at}.applyTo: at least one of Request, Response is required`);
  }
  const patterns = compilePatterns(status, `${at}.patterns`, spec.patterns);
  const webhook =
    spec.webhook === undefined ? undefined : compileWebhook(status, `${at}.webhook`, spec.webhook);
  // What was given counts even when invalid: its own error says what is wrong with it.
  const given = (v: unknown) => Array.isArray(v) && v.length > 0;
  if (!given(spec.detectors) && !given(spec.patterns) && spec.webhook === undefined) {
    status.reject('Invalid', `${at}: at least one of detectors, patterns or webhook is required`);
  }
  return { action, detectors, patterns, applyTo, ...(webhook ? { webhook } : {}) };
}

/** A set of enum values: unknown ones refused, duplicates dropped, in the enum's own order. */
function enumSet<T extends string>(
  status: StatusBuilder,
  field: string,
  values: unknown,
  allowed: readonly T[],
  fallback: T[],
): T[] {
  if (values === undefined) return fallback;
  if (!Array.isArray(values)) {
    status.reject('Invalid', `${field}: must be a list`);
    return fallback;
  }
  for (const [i, v] of values.entries()) {
    if (!(allowed as readonly unknown[]).includes(v)) {
      status.reject('Invalid', `${field}[${i}]: '${String(v)}' must be one of ${allowed.join(', ')}`);
    }
  }
  return allowed.filter((a) => values.includes(a));
}

function compilePatterns(
  status: StatusBuilder,
  field: string,
  values: unknown,
): CompiledPromptGuard['patterns'] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) {
    status.reject('Invalid', `${field}: must be a list`);
    return [];
  }
  const out: CompiledPromptGuard['patterns'] = [];
  const seen = new Set(DETECTORS.map((d) => d.toUpperCase()));
  for (const [i, raw] of (values as unknown[]).entries()) {
    const at = `${field}[${i}]`;
    const p = (typeof raw === 'object' && raw !== null ? raw : {}) as { name?: unknown; regex?: unknown };
    const name = p.name;
    let ok = true;
    if (typeof name !== 'string' || !PATTERN_NAME.test(name)) {
      status.reject(
        'Invalid',
        `${at}.name: '${String(name)}' must start with a letter and hold only letters, digits, '_' and '-' (at most 63)`,
      );
      ok = false;
    } else if (seen.has(name.toUpperCase())) {
      status.reject(
        'Invalid',
        `${at}.name: '${name}' is already used by a detector or another pattern (names are compared ignoring case)`,
      );
      ok = false;
    } else {
      seen.add(name.toUpperCase());
    }
    const problem = regexProblem(p.regex);
    if (problem !== undefined) {
      status.reject('Invalid', `${at}.regex: ${problem}`);
      ok = false;
    }
    if (ok) out.push({ name: name as string, regex: p.regex as string });
  }
  return out;
}

/** Why a user pattern cannot be used, or undefined when it can. */
export function regexProblem(regex: unknown): string | undefined {
  if (typeof regex !== 'string' || regex.length === 0 || regex.length > 1024) {
    return 'must be a regular expression of 1 to 1024 characters';
  }
  let re: RegExp;
  try {
    re = new RegExp(regex, GUARD_PATTERN_FLAGS);
  } catch (err) {
    return `${(err as Error).message} (JavaScript syntax, flags '${GUARD_PATTERN_FLAGS}')`;
  }
  for (const probe of EMPTY_PROBES) {
    re.lastIndex = 0;
    for (let m = re.exec(probe); m !== null; m = re.exec(probe)) {
      if (m[0] === '') return 'matches the empty string; make at least one character required';
    }
  }
  const nested = nestedRepetition(regex);
  if (nested !== undefined) {
    return `'${nested}' repeats a group that itself repeats a variable number of times, which can take exponential time on some inputs; rewrite it without the nesting (e.g. '(a+)+' as 'a+')`;
  }
  return undefined;
}

function compileWebhook(
  status: StatusBuilder,
  at: string,
  spec: Spec['webhook'],
): CompiledPromptGuard['webhook'] | undefined {
  if (typeof spec !== 'object' || spec === null) {
    status.reject('Invalid', `${at}: must be an object`);
    return undefined;
  }
  const url = webhookUrl(status, `${at}.url`, spec.url);
  let timeoutMs = TIMEOUT_DEFAULT_MS;
  if (spec.timeout !== undefined) {
    const ms = duration(status, `${at}.timeout`, spec.timeout, 0);
    if (ms !== undefined && (ms < TIMEOUT_MIN_MS || ms > TIMEOUT_MAX_MS)) {
      status.reject('Invalid', `${at}.timeout: '${spec.timeout}' must be between 10ms and 30s`);
    } else if (ms !== undefined) {
      timeoutMs = ms;
    }
  }
  const failureMode = oneOf(status, `${at}.failureMode`, spec.failureMode, FAILURE_MODES, 'FailClosed');
  return url === undefined ? undefined : { url, timeoutMs, failureMode };
}

function webhookUrl(status: StatusBuilder, at: string, value: unknown): string | undefined {
  let u: URL | undefined;
  try {
    u = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') {
    status.reject('Invalid', `${at}: '${String(value)}' must be an http or https URL`);
    return undefined;
  }
  if (u.username !== '' || u.password !== '') {
    // Never echo it: the URL holds a credential.
    status.reject(
      'Invalid',
      `${at}: must not carry credentials (user:password@); the URL is visible in config dumps`,
    );
    return undefined;
  }
  if (u.href.includes('#')) {
    status.reject('Invalid', `${at}: '${String(value)}' must not have a fragment (#…): it is never sent`);
    return undefined;
  }
  return u.href;
}
