import type { CompiledConsumerMcp, CompiledMcpFilter } from '@tollgate/protocol';

/**
 * How one endpoint multiplexes several servers' names: tool and prompt names become
 * `{prefix}_{name}` and resource URIs (and URI templates) `{prefix}+{uri}` — `+` keeps a URI a
 * URI, since `weather+file` is a valid scheme. A prefix has no `_` or `+`, so the first separator
 * tells the server. A consumer with one server and no prefix sees names unchanged. Filters, aliases
 * and approvals all speak of prefixed names; `exposeAs` only renames a tool as the consumer sees it.
 */
export const NAME_SEPARATOR = '_';
export const URI_SEPARATOR = '+';

export interface NamedServer {
  /** Registry resource name. */
  registry: string;
  prefix: string;
}

export type Kind = 'tool' | 'prompt' | 'resource';

export class McpNames {
  private readonly filters: Record<Kind, Matcher>;
  private readonly approval: (name: string) => boolean;
  /** Alias → prefixed tool name. */
  private readonly byAlias: ReadonlyMap<string, string>;

  constructor(
    readonly servers: readonly NamedServer[],
    private readonly config: Pick<
      CompiledConsumerMcp,
      'tools' | 'prompts' | 'resources' | 'exposeAs' | 'requireApproval'
    >,
  ) {
    this.filters = {
      tool: matcher(config.tools),
      prompt: matcher(config.prompts),
      resource: matcher(config.resources),
    };
    const approval = globsToRegex(config.requireApproval);
    this.approval = (name) => approval?.test(name) ?? false;
    this.byAlias = new Map(Object.entries(config.exposeAs).map(([tool, alias]) => [alias, tool]));
  }

  /** The name a consumer sees for a server's tool or prompt. */
  expose(server: NamedServer, name: string): string {
    return server.prefix === '' ? name : `${server.prefix}${NAME_SEPARATOR}${name}`;
  }

  /** A tool's visible name: its alias when it has one. */
  exposeTool(server: NamedServer, name: string): string {
    const prefixed = this.expose(server, name);
    return this.config.exposeAs[prefixed] ?? prefixed;
  }

  exposeUri(server: NamedServer, uri: string): string {
    return server.prefix === '' ? uri : `${server.prefix}${URI_SEPARATOR}${uri}`;
  }

  /** The server and its own name for a visible tool name; undefined when no server owns it. */
  resolveTool(visible: string): { server: NamedServer; name: string; prefixed: string } | undefined {
    const aliased = this.byAlias.get(visible);
    // A tool with an alias is reachable by its alias only.
    if (aliased === undefined && visible in this.config.exposeAs) return undefined;
    const prefixed = aliased ?? visible;
    const found = this.split(prefixed, NAME_SEPARATOR);
    return found && { ...found, prefixed };
  }

  resolvePrompt(visible: string): { server: NamedServer; name: string } | undefined {
    return this.split(visible, NAME_SEPARATOR);
  }

  resolveUri(visible: string): { server: NamedServer; name: string } | undefined {
    return this.split(visible, URI_SEPARATOR);
  }

  /** Whether the consumer may see and use a tool, prompt or resource, by its prefixed name. */
  allows(kind: Kind, prefixed: string): boolean {
    return this.filters[kind](prefixed);
  }

  needsApproval(prefixed: string): boolean {
    return this.approval(prefixed);
  }

  private split(visible: string, separator: string): { server: NamedServer; name: string } | undefined {
    const [only] = this.servers;
    if (this.servers.length === 1 && only && only.prefix === '') return { server: only, name: visible };
    const at = visible.indexOf(separator);
    if (at <= 0) return undefined;
    const prefix = visible.slice(0, at);
    const server = this.servers.find((s) => s.prefix === prefix);
    return server && { server, name: visible.slice(at + separator.length) };
  }
}

type Matcher = (name: string) => boolean;

/** Allow (everything when empty), then deny. */
function matcher(filter: CompiledMcpFilter): Matcher {
  const allow = globsToRegex(filter.allow);
  const deny = globsToRegex(filter.deny);
  return (name) => (allow === undefined || allow.test(name)) && !(deny?.test(name) ?? false);
}

/** `*` any run of characters, `?` one; everything else literal; the whole name must match. */
export function globsToRegex(globs: readonly string[]): RegExp | undefined {
  if (globs.length === 0) return undefined;
  const alternatives = globs.map((g) =>
    [...g].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join(''),
  );
  return new RegExp(`^(?:${alternatives.join('|')})$`, 's');
}
