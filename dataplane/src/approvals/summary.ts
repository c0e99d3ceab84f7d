/** Longest argument summary kept, shown and sent to a webhook (characters). */
export const SUMMARY_MAX_CHARS = 2000;
const STRING_MAX_CHARS = 200;
const MAX_DEPTH = 6;
const MAX_ITEMS = 50;
const REDACTED = '[redacted]';

/** Keys whose values are never kept, whatever they hold (compared lower-case without `-` and `_`). */
const SECRET_KEY_ENDINGS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'credential',
  'credentials',
  'privatekey',
  'cookie',
];
const SECRET_KEYS = new Set(['auth', 'authorization', 'pwd', 'key', 'sessionid']);

function secretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(k) || SECRET_KEY_ENDINGS.some((e) => k.endsWith(e));
}

/** Values that look like credentials wherever they appear. */
const SECRET_VALUE = [
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{16,}/, // OpenAI / Anthropic / Stripe style keys
  /\bBearer\s+[A-Za-z0-9._~+/-]{8,}/i,
  /\bBasic\s+[A-Za-z0-9+/=]{8,}/i,
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{20,}/, // GitHub tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/, // Slack tokens
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/, // JWTs
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, // URLs with user:password@
];

/**
 * What is kept of a tool call's arguments for a person to decide on: JSON, values under
 * secret-looking keys and secret-looking strings replaced by "[redacted]", long strings, deep
 * nesting and long lists cut, the whole at most `maxChars` characters. A pure function.
 */
export function summariseArguments(args: unknown, maxChars = SUMMARY_MAX_CHARS): string {
  const json = JSON.stringify(clean(args, 0)) ?? 'null';
  return json.length <= maxChars ? json : `${json.slice(0, Math.max(0, maxChars - 13))}… (truncated)`;
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cleanString(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'object') return value === undefined ? null : String(value);
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => clean(v, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`[… ${value.length - MAX_ITEMS} more]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries.slice(0, MAX_ITEMS)) {
    out[k] = secretKey(k) ? REDACTED : clean(v, depth + 1);
  }
  if (entries.length > MAX_ITEMS) out['…'] = `${entries.length - MAX_ITEMS} more keys`;
  return out;
}

function cleanString(s: string): string {
  if (SECRET_VALUE.some((re) => re.test(s))) return REDACTED;
  return s.length <= STRING_MAX_CHARS ? s : `${s.slice(0, STRING_MAX_CHARS)}… (${s.length} chars)`;
}
