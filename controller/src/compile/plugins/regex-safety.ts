/**
 * A heuristic check against catastrophic backtracking in user regular expressions, which V8 runs
 * with a backtracking engine on the request path and cannot interrupt. It refuses the classic
 * shape: a repeated group whose body holds another variable repetition (`(a+)+`, `(\w+\s?)*`,
 * `(?:x*y?)+`), unless the inner repetition is a single atom followed by a required literal the
 * atom cannot match (`([a-z]+\.)+`, `(\d+,)*`), which splits the input one way only.
 *
 * What it does not catch (documented in the README): overlapping alternatives under a repetition
 * (`(a|aa)+`) and polynomial blow-ups of adjacent repetitions (`\w+\w+\w+$`).
 *
 * The source must already compile with the `u` flag: the parser relies on its syntax being valid.
 */
export function nestedRepetition(source: string): string | undefined {
  const root = parse(source);
  return findNested(root);
}

interface Quantifier {
  min: number;
  max: number;
}

type Token =
  | { kind: 'atom'; src: string; literal?: string; quant?: Quantifier }
  | { kind: 'group'; src: string; branches: Token[][]; quant?: Quantifier };

/** Repeats a variable number of times, more than once: `*`, `+`, `{n,}`, `{n,m}` with m > n ≥ 0, m > 1. */
const varies = (q: Quantifier | undefined): boolean => q !== undefined && q.max > 1 && q.max !== q.min;

function findNested(group: Extract<Token, { kind: 'group' }>): string | undefined {
  for (const branch of group.branches) {
    for (const t of branch) {
      if (t.kind !== 'group') continue;
      if (varies(t.quant) && hasLooseRepetition(t)) return t.src;
      const inner = findNested(t);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** A variable repetition inside `group` that is not pinned down by a literal delimiter after it. */
function hasLooseRepetition(group: Extract<Token, { kind: 'group' }>): boolean {
  for (const branch of group.branches) {
    for (const [i, t] of branch.entries()) {
      if (t.kind === 'group') {
        if (varies(t.quant) || hasLooseRepetition(t)) return true;
        continue;
      }
      if (!varies(t.quant)) continue;
      const next = branch[i + 1];
      const delimited =
        next !== undefined &&
        next.kind === 'atom' &&
        next.literal !== undefined &&
        (next.quant === undefined || next.quant.min >= 1) &&
        !matchesChar(t.src, next.literal);
      if (!delimited) return true;
    }
  }
  return false;
}

function matchesChar(atom: string, char: string): boolean {
  try {
    return new RegExp(`^(?:${atom})$`, 'u').test(char);
  } catch {
    return true; // cannot tell: assume the worst
  }
}

/** Parses the (valid, `u`-mode) source into groups and atoms; only what the check needs. */
function parse(source: string): Extract<Token, { kind: 'group' }> {
  let i = 0;
  const parseGroup = (start: number): Extract<Token, { kind: 'group' }> => {
    const branches: Token[][] = [[]];
    while (i < source.length) {
      const c = source[i] as string;
      if (c === ')') {
        i++;
        break;
      }
      if (c === '|') {
        branches.push([]);
        i++;
        continue;
      }
      const tokenStart = i;
      let token: Token;
      if (c === '(') {
        i++;
        if (source[i] === '?') {
          // (?: (?= (?! (?<= (?<! (?<name>
          i++;
          if (source[i] === '<' && source[i + 1] !== '=' && source[i + 1] !== '!') {
            i = source.indexOf('>', i) + 1;
          } else {
            i += source[i] === '<' ? 2 : 1;
          }
        }
        const inner = parseGroup(tokenStart);
        token = { kind: 'group', src: source.slice(tokenStart, i), branches: inner.branches };
      } else {
        const literal = readAtom();
        token = {
          kind: 'atom',
          src: source.slice(tokenStart, i),
          ...(literal !== undefined ? { literal } : {}),
        };
      }
      const quant = readQuantifier();
      if (quant) token.quant = quant;
      // A group is reported with its quantifier; an atom's source is matched on its own.
      if (token.kind === 'group') token.src = source.slice(tokenStart, i);
      (branches[branches.length - 1] as Token[]).push(token);
    }
    return { kind: 'group', src: source.slice(start, i), branches };
  };

  /** Reads one atom; returns its character when it is a single literal one. */
  const readAtom = (): string | undefined => {
    const c = source[i] as string;
    if (c === '[') {
      i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      return undefined;
    }
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      if (/[pPk]/.test(e) && /[{<]/.test(source[i + 2] ?? '')) {
        i = source.indexOf(e === 'k' ? '>' : '}', i) + 1;
        return undefined;
      }
      if (e === 'u' && source[i + 2] === '{') {
        const end = source.indexOf('}', i);
        const ch = String.fromCodePoint(parseInt(source.slice(i + 3, end), 16));
        i = end + 1;
        return ch;
      }
      if (e === 'u') {
        const ch = String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
        i += 6;
        return ch;
      }
      if (e === 'x') {
        const ch = String.fromCharCode(parseInt(source.slice(i + 2, i + 4), 16));
        i += 4;
        return ch;
      }
      if (e === 'c') {
        i += 3;
        return undefined;
      }
      if (/[1-9]/.test(e)) {
        i += 2;
        while (/[0-9]/.test(source[i] ?? '')) i++;
        return undefined;
      }
      i += 2;
      // Class escapes and assertions are not single characters; the rest are identity escapes.
      if (/[dDwWsSbB]/.test(e)) return undefined;
      const controls: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' };
      return controls[e] ?? e;
    }
    const cp = source.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    i += ch.length;
    return c === '.' || c === '^' || c === '$' ? undefined : ch;
  };

  const readQuantifier = (): Quantifier | undefined => {
    const c = source[i];
    let q: Quantifier | undefined;
    if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!m) return undefined;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      i += m[0].length - 1;
      q = { min, max };
    }
    if (!q) return undefined;
    i++;
    if (source[i] === '?') i++; // lazy: same search space
    return q;
  };

  return parseGroup(0);
}
