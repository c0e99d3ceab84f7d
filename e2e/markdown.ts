/**
 * Just enough of Markdown (as GitHub renders it) for the documentation tests: fenced code blocks,
 * headings and their anchors, and the relative links of the prose.
 */

export interface CodeBlock {
  /** The fence's info string's first word (`sh`, `js`, ...); '' when it has none. */
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

export interface Link {
  /** The link's target as written: `docs/api.md#endpoints`, `#try-it`, `../crds/`. */
  target: string;
  line: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/;

/** Splits a page into its fenced code blocks and its prose lines (code lines blanked, so numbers hold). */
function split(markdown: string): { blocks: CodeBlock[]; prose: string[] } {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  const prose: string[] = [];
  let open: { fence: string; block: CodeBlock; body: string[] } | undefined;
  lines.forEach((text, i) => {
    const fence = FENCE.exec(text);
    if (open) {
      prose.push('');
      if (
        fence &&
        fence[1]?.[0] === open.fence[0] &&
        (fence[1]?.length ?? 0) >= open.fence.length &&
        !fence[2]
      ) {
        open.block.code = open.body.join('\n');
        blocks.push(open.block);
        open = undefined;
      } else open.body.push(text);
      return;
    }
    if (fence) {
      open = { fence: fence[1] ?? '```', block: { lang: fence[2] ?? '', code: '', line: i + 1 }, body: [] };
      prose.push('');
      return;
    }
    prose.push(text);
  });
  if (open) throw new Error(`unclosed code block opened at line ${open.block.line}`);
  return { blocks, prose };
}

export function codeBlocks(markdown: string): CodeBlock[] {
  return split(markdown).blocks;
}

/** A heading's text as GitHub reads it for its anchor: links become their text, code spans their code. */
function plainText(heading: string): string {
  return heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
}

/**
 * GitHub's anchor for a heading (github-slugger): lower case, every character but letters, marks,
 * numbers, connector punctuation (`_`), spaces and hyphens removed, spaces made hyphens.
 */
export function slugOf(heading: string): string {
  return plainText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page defines, as GitHub numbers repeats: `a`, `a-1`, `a-2`. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of split(markdown).prose) {
    const m = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = slugOf(m[1] ?? '');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Every relative link of the prose (not in code blocks or code spans); URLs with a scheme are left out. */
export function relativeLinks(markdown: string): Link[] {
  const out: Link[] = [];
  split(markdown).prose.forEach((text, i) => {
    const withoutCode = text.replace(/(`+).+?\1/g, 'code');
    for (const m of withoutCode.matchAll(/\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1] ?? m[2] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      out.push({ target, line: i + 1 });
    }
  });
  return out;
}
