import { Counter } from 'prom-client';
import { ChildCache, perRegistry } from '../../telemetry/prom';
import type { FindingAction, FindingKind } from './findings';

export interface ToolGuardMetrics {
  count(policy: string, kind: FindingKind, action: FindingAction): void;
}

/**
 * `tollgate_tool_guard_findings_total{policy,kind,action}`: every finding of a tool guard (each time a
 * tools/list shows it) by kind, and what was done: blocked (removed from the list, Enforce), reported
 * (Observe, or a declared tool) or refused (a call to a blocked tool). One counter per prom registry.
 */
export const createToolGuardMetrics = perRegistry((registry): ToolGuardMetrics => {
  const counter = new Counter({
    name: 'tollgate_tool_guard_findings_total',
    help: 'Tool guard findings by policy, kind (rugPull, undeclared, hiddenInstruction, …) and action: blocked (removed from a tools/list), reported (observed only), refused (a call to a blocked tool).',
    labelNames: ['policy', 'kind', 'action'],
    registers: [registry],
  });
  const children = new ChildCache((policy, kind, action) => counter.labels({ policy, kind, action }));
  return {
    count: (policy, kind, action) => children.of(policy, kind, action).inc(),
  };
});
