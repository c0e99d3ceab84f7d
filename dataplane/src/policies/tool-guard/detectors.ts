/**
 * Hidden-instruction detectors for tool descriptions: text a server addresses to the model rather
 * than to the user. Every pattern is linear in the text: character classes, bounded gaps
 * (`\s{1,5}`, `[^.\n]{0,80}`) and no nested quantifier, so a hostile 100 KB description costs a
 * scan, never a backtracking blow-up (the test suite runs them on adversarial input).
 */

/** What a detector found; `start`/`end` in UTF-16 code units of the scanned text. */
export type HiddenKind =
  | 'hiddenInstruction'
  | 'sensitivePath'
  | 'instructionTag'
  | 'invisibleCharacters'
  | 'unlistedUrl'
  | 'encodedBlob';

export interface Hit {
  readonly kind: HiddenKind;
  readonly start: number;
  readonly end: number;
}

export interface DetectorOptions {
  /** Lower-case host names URLs may point at; `*.example.com` covers the subdomains of example.com. */
  readonly allowUrlHosts: readonly string[];
}

/** Between words: 1 to 5 spaces (a newline counts). */
const S = '\\s{1,5}';

/** Instruction-like text aimed at the model: overriding its instructions, hiding things from the user. */
const INSTRUCTIONS: readonly RegExp[] = [
  // "ignore all previous instructions", "disregard the system prompt"
  new RegExp(
    `\\b(?:ignore|disregard|forget|override)${S}(?:(?:all|any)${S})?(?:(?:the|your)${S})?(?:previous|prior|above|earlier|preceding|former|system|original)${S}(?:instructions?|prompts?|rules|directions|guidelines|messages)\\b`,
    'giu',
  ),
  // "do not tell the user", "never mention this to the user", "don't let the user know"
  new RegExp(
    `\\b(?:do${S}not|don['’]?t|never|must${S}not)${S}(?:(?:tell|inform|notify|alert|warn|show|let)${S}|(?:mention|reveal|disclose|say|explain)${S}(?:(?:this|it|that|anything)${S})?to${S})(?:the${S})?user\\b`,
    'giu',
  ),
  // "without telling the user", "without the user knowing"
  new RegExp(
    `\\bwithout${S}(?:(?:telling|informing|notifying|alerting|asking)${S}(?:the${S})?user\\b|the${S}user${S}(?:knowing|noticing|seeing)\\b)`,
    'giu',
  ),
  // "hide this from the user", "keep it secret from the user"
  new RegExp(
    `\\b(?:hide|conceal|keep)${S}(?:this|it|that|them)${S}(?:(?:secret|hidden)${S})?from${S}(?:the${S})?user\\b`,
    'giu',
  ),
  // "the user must not know", "the user should never see"
  new RegExp(
    `\\bthe${S}user${S}(?:must|should|will)${S}(?:not|never)${S}(?:know|see|notice|be${S}told)\\b`,
    'giu',
  ),
  // "before using this tool, read …", "before calling this tool you must send …"
  new RegExp(
    `\\bbefore${S}(?:using|calling|invoking|running|executing)${S}this${S}tool\\b[^.\\n]{0,80}?\\b(?:read|cat|open|load|send|upload|post|include|pass|attach|provide|copy)\\b`,
    'giu',
  ),
  // "send the conversation history to", "pass the api keys to"
  new RegExp(
    `\\b(?:send|forward|post|upload|leak|exfiltrate|email)${S}(?:(?:the|your|all|any)${S})?(?:(?:the|your|all|any)${S})?(?:conversation|chat${S}history|previous${S}messages|system${S}prompt|credentials|secrets|passwords?|api${S}keys?|access${S}tokens?|private${S}keys?|environment${S}variables)\\b`,
    'giu',
  ),
  // Tool shadowing: "all emails must be sent to …"
  new RegExp(
    `\\b(?:all|every|any)${S}(?:emails?|messages?|requests?|payments?|transfers?|files?)${S}(?:must|should|shall)${S}(?:(?:also|always)${S})?(?:be${S})?(?:sent|forwarded|copied|redirected|bcc['’]?d|cc['’]?d)${S}to\\b`,
    'giu',
  ),
];

/** Where secrets live: key files, cloud and registry credentials, shell secrets, agent configs. */
const SENSITIVE_PATH =
  /(?:~|\$HOME|%USERPROFILE%)[/\\]\.(?:ssh|aws|gnupg|kube|docker|azure|config[/\\]gcloud|cursor|netrc|npmrc|pypirc|git-credentials|bash_history|zsh_history)\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\/etc\/(?:passwd|shadow|sudoers)\b|\.aws[/\\]credentials\b|\.git-credentials\b|(?<![\w.])\.env(?:\.local|\.production)?\b|\bmcp\.json\b|\bclaude_desktop_config\.json\b/giu;

/** Markup that hides a block from a rendered view or dresses it up as a system message. */
const INSTRUCTION_TAG =
  /<\s{0,3}\/?\s{0,3}(?:important|system|instructions?|secret|hidden|admin|assistant|system[_-]prompt|note[_-]to[_-](?:ai|model|assistant))\b[^<>\n]{0,40}>|<!--/giu;

/**
 * Characters that render as nothing or reorder what is shown: zero-width spaces and joiners,
 * directional marks, embeddings, overrides and isolates, invisible operators, the BOM, and the
 * Unicode tag block (U+E0000–U+E007F, "ASCII smuggling").
 */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]+/gu;
const ZWJ = '\u200D';
/** A zero-width joiner inside an emoji sequence (👩‍💻) is how emoji are written, not hidden text. */
const EMOJI_BEFORE = /\p{Extended_Pictographic}(?:[\u{1F3FB}-\u{1F3FF}]|\uFE0F)?$/u;
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u;

/** The host of a URL (userinfo, port, path dropped by the code that reads the group). */
const URL_PATTERN = /\b(?:https?|wss?|ftp):\/\/([^\s/?#'"<>()[\]{}\\`]{1,300})/giu;
/** RFC 2606 / 6761 names: examples in documentation, never a place data goes. */
const EXAMPLE_HOSTS = /(?:^|\.)(?:example\.(?:com|org|net)|example|invalid|test|localhost)$/u;

/** 48+ base64 (or base64url) characters mixing upper case, lower case and digits: an encoded payload. */
const BLOB = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{48,}={0,2}/gu;

/** Every pattern the detectors run (for the regex-safety test). */
export const DETECTOR_PATTERNS: readonly RegExp[] = [
  ...INSTRUCTIONS,
  SENSITIVE_PATH,
  INSTRUCTION_TAG,
  INVISIBLE,
  URL_PATTERN,
  BLOB,
];

/** Every hit of every detector in `text`, in detector order then text order. */
export function detectHidden(text: string, options: DetectorOptions): Hit[] {
  const hits: Hit[] = [];
  for (const re of INSTRUCTIONS) collect(hits, 'hiddenInstruction', re, text);
  collect(hits, 'sensitivePath', SENSITIVE_PATH, text);
  collect(hits, 'instructionTag', INSTRUCTION_TAG, text);
  collect(hits, 'invisibleCharacters', INVISIBLE, text, (m, at) => !isEmojiJoiner(text, m, at));
  collect(hits, 'unlistedUrl', URL_PATTERN, text, (_m, _at, host) => !hostAllowed(host, options));
  collect(hits, 'encodedBlob', BLOB, text, (m, at) => looksEncoded(m) && !inUrl(text, at));
  return hits;
}

function collect(
  hits: Hit[],
  kind: HiddenKind,
  re: RegExp,
  text: string,
  keep: (match: string, at: number, group: string) => boolean = () => true,
): void {
  // Shared by every call; safe because a scan never yields between reset and last exec.
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (keep(m[0], m.index, m[1] ?? '')) hits.push({ kind, start: m.index, end: m.index + m[0].length });
  }
}

function isEmojiJoiner(text: string, match: string, at: number): boolean {
  if (match !== ZWJ) return false;
  return (
    EMOJI_BEFORE.test(text.slice(Math.max(0, at - 4), at)) && EMOJI_AFTER.test(text.slice(at + 1, at + 3))
  );
}

/** `user:pass@Host:8080` → `host`; allowed when listed, a subdomain of a `*.` entry, or an example name. */
export function hostAllowed(authority: string, options: DetectorOptions): boolean {
  const afterUser = authority.slice(authority.lastIndexOf('@') + 1);
  const host = (
    afterUser.startsWith('[')
      ? afterUser.slice(0, afterUser.indexOf(']') + 1)
      : (afterUser.split(':')[0] ?? '')
  )
    .toLowerCase()
    .replace(/\.$/, '');
  if (EXAMPLE_HOSTS.test(host)) return true;
  return options.allowUrlHosts.some((allowed) =>
    allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed,
  );
}

/** A run that continues a URL (`https://host/Path/To/v1234…`) is a path, not a payload. */
function inUrl(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - 300), at);
  const token = before.slice(Math.max(before.lastIndexOf(' '), before.lastIndexOf('\n')) + 1);
  return token.includes('://');
}

function looksEncoded(match: string): boolean {
  return /[A-Z]/.test(match) && /[a-z]/.test(match) && /[0-9]/.test(match);
}
