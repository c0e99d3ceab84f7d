import type { CompiledToolGuard } from '@tollgate/protocol';
import type { Snapshot } from '../../config/snapshot';
import type { Logger } from '../../telemetry/logger';
import type { Finding, FindingAction, FindingSink } from './findings';
import { ToolGuard } from './guard';
import type { ToolGuardMetrics } from './metrics';
import { PinStore } from './pins';

export interface ToolGuardStateOptions {
  metrics?: ToolGuardMetrics;
  logger?: Logger;
}

/** Distinct findings logged per replica before the memory of what was logged starts over. */
const LOGGED_MAX = 10_000;

/**
 * What the toolGuard plugins keep across config snapshots: each Policy's FirstSeen pins, its guard
 * (rebuilt only when its config changes, so verdicts survive an unrelated reload), and the sink that
 * counts every finding and logs each distinct one once (warn) — a tools/list repeated every minute
 * logs a changed tool once, not every minute.
 */
export class ToolGuardState {
  private readonly pins = new Map<string, PinStore>();
  private readonly guards = new Map<string, { key: string; guard: ToolGuard }>();
  private readonly logged = new Set<string>();
  readonly sink: FindingSink;

  constructor(private readonly options: ToolGuardStateOptions = {}) {
    this.sink = (finding, action, policy) => this.report(finding, action, policy);
  }

  /** The guard of `policy` for `config`: the same instance while the config is the same. */
  guardFor(policy: string, config: CompiledToolGuard): ToolGuard {
    const key = JSON.stringify(config);
    const known = this.guards.get(policy);
    if (known?.key === key) return known.guard;
    let pins = this.pins.get(policy);
    if (!pins) {
      pins = new PinStore();
      this.pins.set(policy, pins);
    }
    const guard = new ToolGuard(config, policy, pins, this.sink);
    this.guards.set(policy, { key, guard });
    return guard;
  }

  /** Forgets the pins and guards of Policies that no longer set toolGuard. */
  retain(snapshot: Snapshot): void {
    const live = new Set<string>();
    for (const r of snapshot.resources.values()) {
      if (r.kind === 'Policy' && r.body.plugins.toolGuard) live.add(r.name);
    }
    for (const policy of [...this.pins.keys(), ...this.guards.keys()]) {
      if (!live.has(policy)) {
        this.pins.delete(policy);
        this.guards.delete(policy);
      }
    }
  }

  private report(finding: Finding, action: FindingAction, policy: string): void {
    this.options.metrics?.count(policy, finding.kind, action);
    const logger = this.options.logger;
    if (!logger) return;
    const id = [policy, finding.tool, finding.kind, finding.where, finding.fingerprint ?? '', action].join(
      '\u0000',
    );
    if (this.logged.has(id)) return;
    if (this.logged.size >= LOGGED_MAX) this.logged.clear();
    this.logged.add(id);
    logger.warn(
      {
        policy,
        tool: finding.tool,
        kind: finding.kind,
        action,
        where: finding.where,
        excerpt: finding.excerpt,
        ...(finding.fingerprint ? { sha256: finding.fingerprint } : {}),
      },
      action === 'refused' ? 'tool guard refused a call' : 'tool guard finding',
    );
  }
}
