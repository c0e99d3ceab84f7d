import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CompiledToolGuard } from '@tollgate/protocol';
import type { Finding, FindingKind, FindingSink } from './findings';
import { fingerprint, MalformedToolError } from './fingerprint';
import { PinStore } from './pins';
import { scanTool, type HiddenHit } from './scan';

export interface InspectResult {
  /** The tools the client may see, in their order (all of them under Observe). */
  readonly allowed: Tool[];
  /** Every finding, blocked or reported. */
  readonly findings: Finding[];
}

/**
 * Whether a `tools/call` may go upstream. `inspected: false`: this replica has not inspected the
 * tool yet (e.g. a session continued from another replica); the caller should list and `inspect`
 * the owning server's tools first, then ask again.
 */
export type CallDecision =
  | { readonly allowed: true; readonly inspected: boolean }
  | { readonly allowed: false; readonly kind: FindingKind; readonly message: string };

/** Scan results kept per fingerprint (the fingerprint covers every scanned text), at most this many. */
const SCAN_CACHE_MAX = 1024;
/** Verdicts kept per replica, oldest dropped first past this many. */
const VERDICTS_MAX = 10_000;

/**
 * The tool guard of one Policy, for the proxy's MCP plane: `inspect` the tools a server lists
 * before the client sees them, `checkCall` before a call goes upstream. Pure apart from its state (the
 * pins, shared by every guard of the Policy, and the last verdict per tool) and the sink it reports to.
 *
 * `scope` keeps the tools of different consumers apart (pass the consumer's resource name): two
 * consumers may give the same prefix to different servers.
 */
export class ToolGuard {
  private readonly declared: ReadonlyMap<string, string>;
  private readonly scans = new Map<string, HiddenHit[]>();
  /** `{scope}\0{tool}` → the finding that blocks it (Enforce), or null when it was allowed. */
  private readonly verdicts = new Map<string, Finding | null>();

  constructor(
    readonly config: CompiledToolGuard,
    readonly policy: string,
    private readonly pins: PinStore = new PinStore(),
    private readonly sink: FindingSink = () => undefined,
  ) {
    this.declared = new Map(config.pinned.map((p) => [p.tool, p.sha256]));
  }

  get enforcing(): boolean {
    return this.config.mode === 'Enforce';
  }

  /** Decides on every tool of a `tools/list` result (names as the client sees them). */
  inspect(tools: readonly Tool[], scope = ''): InspectResult {
    const allowed: Tool[] = [];
    const findings: Finding[] = [];
    for (const tool of tools) {
      const own = this.inspectOne(tool, scope);
      findings.push(...own.findings);
      if (own.blockedBy === undefined) allowed.push(tool);
      this.remember(keyOf(scope, tool.name), own.blockedBy ?? null);
    }
    for (const f of findings) this.sink(f, f.action, this.policy);
    return { allowed, findings };
  }

  /** Whether a call to `name` may go upstream (a refusal is reported to the sink). */
  checkCall(name: string, scope = ''): CallDecision {
    if (!this.enforcing) return { allowed: true, inspected: this.verdicts.has(keyOf(scope, name)) };
    const verdict = this.verdicts.get(keyOf(scope, name));
    let blockedBy: Finding | undefined = verdict ?? undefined;
    if (verdict === undefined && this.config.pin === 'Declared' && !this.declared.has(name)) {
      blockedBy = {
        kind: 'undeclared',
        tool: name,
        where: 'name',
        excerpt: name,
        count: 1,
        action: 'blocked',
      };
    }
    if (blockedBy === undefined) return { allowed: true, inspected: verdict !== undefined };
    this.sink(blockedBy, 'refused', this.policy);
    return {
      allowed: false,
      kind: blockedBy.kind,
      message: `tool '${name}' is blocked by the tool guard of policy ${this.policy}: ${reason(blockedBy)}`,
    };
  }

  private inspectOne(tool: Tool, scope: string): { findings: Finding[]; blockedBy?: Finding } {
    const action = this.enforcing ? 'blocked' : 'reported';
    let fp: string;
    try {
      fp = fingerprint(tool);
    } catch (err) {
      if (!(err instanceof MalformedToolError)) throw err;
      const f: Finding = {
        kind: 'malformed',
        tool: tool.name,
        where: 'definition',
        excerpt: err.message,
        count: 1,
        action,
      };
      return { findings: [f], blockedBy: this.enforcing ? f : undefined };
    }
    const findings: Finding[] = [];
    // A declared fingerprint is one an operator reviewed: its hidden-instruction findings are reported, never blocking.
    const trusted = this.declared.get(tool.name) === fp;
    if (this.config.detectHiddenInstructions) {
      for (const hit of this.scan(tool, fp)) {
        findings.push({ ...hit, tool: tool.name, fingerprint: fp, action: trusted ? 'reported' : action });
      }
    }
    // A tool blocked for its description is not pinned: a server that fixes it is not then a rug pull.
    const poisoned = findings.some((f) => f.action === 'blocked');
    const pinFinding = this.checkPin(tool.name, fp, scope, !poisoned);
    if (pinFinding) findings.unshift({ ...pinFinding, tool: tool.name, fingerprint: fp, count: 1, action });
    return { findings, blockedBy: findings.find((f) => f.action === 'blocked') };
  }

  /** The pin finding of a tool, if any; a FirstSeen tool seen for the first time is pinned when `pin`. */
  private checkPin(
    name: string,
    fp: string,
    scope: string,
    pin: boolean,
  ): Pick<Finding, 'kind' | 'where' | 'excerpt'> | undefined {
    const declared = this.declared.get(name);
    if (this.config.pin === 'Declared' || declared !== undefined) {
      if (declared === undefined) return { kind: 'undeclared', where: 'name', excerpt: name };
      return declared === fp ? undefined : changed(declared, fp);
    }
    const key = keyOf(scope, name);
    const pinned = this.pins.get(key);
    if (pinned === undefined) {
      return !pin || this.pins.pin(key, fp)
        ? undefined
        : { kind: 'pinLimit', where: 'fingerprint', excerpt: `${this.pins.max} tools pinned` };
    }
    return pinned === fp ? undefined : changed(pinned, fp);
  }

  private scan(tool: Tool, fp: string): HiddenHit[] {
    let hits = this.scans.get(fp);
    if (hits === undefined) {
      hits = scanTool(tool, { allowUrlHosts: this.config.allowUrlHosts });
      if (this.scans.size >= SCAN_CACHE_MAX) this.scans.clear();
      this.scans.set(fp, hits);
    }
    return hits;
  }

  private remember(key: string, verdict: Finding | null): void {
    this.verdicts.delete(key);
    if (this.verdicts.size >= VERDICTS_MAX) {
      const oldest = this.verdicts.keys().next();
      if (!oldest.done) this.verdicts.delete(oldest.value);
    }
    this.verdicts.set(key, verdict);
  }
}

function keyOf(scope: string, tool: string): string {
  return `${scope}\u0000${tool}`;
}

function changed(pinned: string, seen: string): Pick<Finding, 'kind' | 'where' | 'excerpt'> {
  return {
    kind: 'rugPull',
    where: 'fingerprint',
    excerpt: `pinned ${pinned.slice(0, 12)}…, now ${seen.slice(0, 12)}…`,
  };
}

const REASONS: Readonly<Record<FindingKind, string>> = {
  rugPull: 'its definition changed since it was pinned',
  undeclared: 'it is not one of the tools the policy declares',
  pinLimit: 'the guard cannot pin more tools',
  malformed: 'its definition cannot be fingerprinted',
  hiddenInstruction: 'its description carries instructions aimed at the model',
  sensitivePath: 'its description points at secret files',
  instructionTag: 'its description carries a hidden instruction block',
  invisibleCharacters: 'its description carries invisible characters',
  unlistedUrl: 'its description points at a URL whose host is not allowed',
  encodedBlob: 'its description carries an encoded payload',
};

function reason(f: Finding): string {
  return `${REASONS[f.kind]} (${f.where}: ${f.excerpt})`;
}
