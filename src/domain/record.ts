import { lockSignature } from './locks.js';
import type { CloneState, Exposure, InventoryRecord, Server } from './model.js';
import type { ServerPlan } from './plan.js';
import { rowOfIncarnation } from './proof.js';

/** Who a server is, as every inventory row of it starts: ids, engine, place. */
export function identityOf(
  server: Server,
): Pick<InventoryRecord, 'key' | 'id' | 'engine' | 'subscriptionId' | 'resourceGroup' | 'name' | 'location'> {
  const { key, id, engine, subscriptionId, resourceGroup, name, location } = server;
  return { key, id, engine, subscriptionId, resourceGroup, name, location };
}

/**
 * The inventory row after a pass over a live server: what ARM showed, what the plan decided, what was kept from before
 * (first sighting, notice history, lineage once known).
 */
export function recordFromPlan(input: {
  server: Server;
  plan: ServerPlan;
  previous: InventoryRecord | undefined;
  now: string;
  observedAt: string;
  checkedAt?: string;
}): InventoryRecord {
  const { server, plan, now } = input;
  // A row of a deleted server or of an earlier server of the same name: nothing carries over to this one.
  const previous = rowOfIncarnation(input.previous, server);
  const lineage = { ...previous?.lineage, ...definedOnly(plan.lineage ?? {}) };
  return {
    ...identityOf(server),
    classification: plan.classification,
    // Why it was first classified so stands while the classification and its proof hold (later passes may only see the lineage tags).
    classificationEvidence: sameProof(previous, plan) ? previous!.classificationEvidence : plan.classificationEvidence,
    proof: sameProof(previous, plan) && previous!.proof ? previous!.proof : plan.proof,
    ...(plan.decisions && plan.decisions.length > 0
      ? { decisions: plan.decisions }
      : previous?.decisions
        ? { decisions: previous.decisions }
        : {}),
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
    ...exposureOf(plan.exposure, previous?.exposure),
    lockSignature: server.locks ? lockSignature(server.locks) : previous?.lockSignature,
    // Read in full (rules and locks) by this pass, or as the last full read left it.
    checkedAt: server.firewallRules && server.locks ? (input.checkedAt ?? now) : previous?.checkedAt,
    firstSeenAt: previous?.firstSeenAt ?? now,
    observedAt: previous && previous.observedAt > input.observedAt ? previous.observedAt : input.observedAt,
    updatedAt: now,
  };
}

/** The plan's exposure; a listing that did not read the parent's firewall rules keeps those last read for the same parent. */
function exposureOf(now: Exposure | undefined, before: Exposure | undefined): { exposure?: Exposure } {
  if (!now) return {};
  const keep =
    now.firewallRules === undefined &&
    before?.firewallRules !== undefined &&
    before.parentId.toLowerCase() === now.parentId.toLowerCase();
  return { exposure: keep ? { ...now, firewallRules: before.firewallRules } : now };
}

function sameProof(previous: InventoryRecord | undefined, plan: ServerPlan): boolean {
  return (
    previous !== undefined &&
    previous.classification === plan.classification &&
    previous.proof?.level === plan.proof.level &&
    previous.proof?.basis === plan.proof.basis
  );
}

function stateOf(plan: ServerPlan, previous: InventoryRecord | undefined): CloneState {
  if (plan.classification === 'not-a-clone') return 'listed';
  if (plan.promoted) return 'promoted';
  // The sweep recorded its intent to delete; it finishes or releases the row itself.
  if (previous?.state === 'deleting') return 'deleting';
  if (plan.held) return 'held';
  if (plan.actions.some((a) => a.type === 'stop-server') || previous?.state === 'quarantined') return 'quarantined';
  // Governed once the warden enforces its tag and network rules; a later pass with nothing left to fix stays governed.
  // Only a remediation the policy keeps to reporting (dry-run mode) leaves the clone merely detected.
  return plan.actions.some(reportedRemediation) ? 'detected' : 'governed';
}

/** A dry-run skip of a tag or network rule (notices and sweep in dry-run mode say nothing about governance). */
function reportedRemediation(action: ServerPlan['actions'][number]): boolean {
  return action.type === 'skip' && action.reason === 'dry-run' && !/^(notices|sweep):/.test(action.detail ?? '');
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
