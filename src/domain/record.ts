import type { CloneState, InventoryRecord, Server } from './model.js';
import type { ServerPlan } from './plan.js';

/**
 * The inventory row after a pass over a live server: what ARM showed, what the plan decided, what was kept from before
 * (first sighting, notice history, lineage once known).
 */
export function recordFromPlan(input: { server: Server; plan: ServerPlan; previous: InventoryRecord | undefined; now: string; observedAt: string }): InventoryRecord {
  const { server, plan, previous, now } = input;
  const lineage = { ...previous?.lineage, ...definedOnly(plan.lineage ?? {}) };
  return {
    key: server.key,
    id: server.id,
    subscriptionId: server.subscriptionId,
    resourceGroup: server.resourceGroup,
    name: server.name,
    location: server.location,
    classification: plan.classification,
    classificationEvidence: plan.classificationEvidence,
    lineage,
    owner: plan.owner,
    ownerSource: plan.ownerSource,
    expiresOn: plan.expiresOn ?? undefined,
    expiresOnTag: plan.expiresOnTag,
    violations: plan.violations,
    compliant: plan.violations.length === 0,
    skuName: server.skuName,
    skuTier: server.skuTier,
    storageSizeGb: server.storageSizeGb,
    createdAt: server.createdAt,
    noticesSent: previous?.noticesSent ?? [],
    state: stateOf(plan, previous),
    serverState: server.state,
    tags: server.tags,
    firstSeenAt: previous?.firstSeenAt ?? now,
    observedAt: previous && previous.observedAt > input.observedAt ? previous.observedAt : input.observedAt,
    updatedAt: now,
  };
}

function stateOf(plan: ServerPlan, previous: InventoryRecord | undefined): CloneState {
  if (plan.classification === 'not-a-clone') return 'listed';
  if (plan.held) return 'held';
  if (plan.actions.some((a) => a.type === 'stop-server') || previous?.state === 'quarantined') return 'quarantined';
  return plan.violations.length === 0 || plan.actions.some((a) => a.type !== 'skip' && a.type !== 'notify') ? 'governed' : 'detected';
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
