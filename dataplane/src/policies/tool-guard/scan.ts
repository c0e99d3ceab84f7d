import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { detectHidden, type DetectorOptions, type HiddenKind } from './detectors';
import { excerpt } from './findings';

/** One kind of hit in one place of a tool's definition, with the first hit's excerpt. */
export interface HiddenHit {
  readonly kind: HiddenKind;
  readonly where: string;
  readonly excerpt: string;
  readonly count: number;
}

/**
 * The texts of a tool the model reads: its title and description, the annotations' title, and
 * every `description` and `title` in its input schema (properties, items, definitions, at any depth).
 */
export function toolTexts(tool: Tool): [where: string, text: string][] {
  const out: [string, string][] = [];
  if (typeof tool.title === 'string') out.push(['title', tool.title]);
  if (typeof tool.description === 'string') out.push(['description', tool.description]);
  if (typeof tool.annotations?.title === 'string') out.push(['annotations.title', tool.annotations.title]);
  schemaTexts(tool.inputSchema, 'inputSchema', out, 0);
  return out;
}

const MAX_SCHEMA_DEPTH = 64;

function schemaTexts(node: unknown, at: string, out: [string, string][], depth: number): void {
  if (depth > MAX_SCHEMA_DEPTH || typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    node.forEach((item, i) => schemaTexts(item, `${at}[${i}]`, out, depth + 1));
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'description' || key === 'title') && typeof value === 'string')
      out.push([`${at}.${key}`, value]);
    else schemaTexts(value, `${at}.${key}`, out, depth + 1);
  }
}

/** Hidden-instruction hits in every text of `tool`: one per kind and place, with the first hit's excerpt. */
export function scanTool(tool: Tool, options: DetectorOptions): HiddenHit[] {
  const out: HiddenHit[] = [];
  for (const [where, text] of toolTexts(tool)) {
    const byKind = new Map<HiddenKind, { first: { start: number; end: number }; count: number }>();
    for (const hit of detectHidden(text, options)) {
      const seen = byKind.get(hit.kind);
      if (seen) seen.count++;
      else byKind.set(hit.kind, { first: hit, count: 1 });
    }
    for (const [kind, { first, count }] of byKind) {
      out.push({ kind, where, excerpt: excerpt(text, first.start, first.end), count });
    }
  }
  return out;
}
