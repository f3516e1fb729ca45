import { blockingLocks } from './lifecycle.js';
import { lockSignature } from './locks.js';
import type { EvidenceEntry, InventoryRecord, Server, SkipReason } from './model.js';
import { buildPlan, planOneServer, type PlanAction, type ServerPlan } from './plan.js';
import { mayModify } from './proof.js';
import type { Policy } from './policy.js';
import type { MailSettings } from './owner.js';

/**
 * The expiry sweep's decisions, pure: which clones count, when inventory and ARM disagree too much to delete
 * anything, the caps, which plan skips the sweep reports, and what changed between planning and the re-read.
 * src/jobs/sweep.ts lists, re-reads and deletes; everything it decides comes from here.
 */

/** A clone the plan proposes to delete: expired, announced, past grace, no hold, no lock. */
export interface SweepCandidate {
  readonly id: string;
  readonly name: string;
  readonly expiresOn: string;
  readonly finalNoticeSentAt: string;
  readonly reason: string;
}

export interface SweepItem {
  readonly id: string;
  readonly name: string;
  readonly reason: string;
}

export type DeleteAction = Extract<PlanAction, { type: 'delete-server' }>;

/** One eligible deletion: the listed server, its plan and the plan's delete action, with its subscription's servers. */
export interface Eligible {
  readonly server: Server;
  readonly plan: ServerPlan;
  readonly action: DeleteAction;
  readonly peers: readonly Server[];
}

/** One subscription as the sweep sees it: the listing, the inventory rows and the plans made of them. */
export interface PlannedSubscription {
  readonly servers: readonly Server[];
  readonly rows: readonly InventoryRecord[];
  readonly plans: readonly ServerPlan[];
  /** Listed servers by key, with locks where they were read. */
  readonly live: ReadonlyMap<string, Server>;
}

/** What the sweep plans with besides the servers and rows. */
export interface SweepPlanContext {
  readonly policy: Policy;
  readonly settings: MailSettings;
}

/** Plan skips of expired clones that the sweep reports as skipped (the rest are not about deletion). */
const DELETION_SKIPS: ReadonlySet<SkipReason> = new Set<SkipReason>([
  'expiry-unparseable',
  'not-announced',
  'expiry-changing',
  'final-notice-not-sent',
  'grace-period',
]);
/** Plan skips the sweep reports as held. */
const HOLD_SKIPS: ReadonlySet<SkipReason> = new Set<SkipReason>(['legal-hold', 'locked']);
/** ARM states of a server whose delete is already under way: never sent a second DELETE. */
const DROPPING: ReadonlySet<string> = new Set(['dropping', 'deleting']);

/**
 * The plan of the sweep: the domain's plan of these servers and rows, nothing the sweep adds, for every server but
 * those reconcile settled as not a clone (`settledNotAClone`), which stay peers of the others.
 */
export function planForSweep(
  servers: readonly Server[],
  rows: readonly InventoryRecord[],
  now: Date,
  context: SweepPlanContext,
): ServerPlan[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const only = new Set(servers.filter((s) => !settledNotAClone(s, byKey.get(s.key))).map((s) => s.key));
  return buildPlan({ now, policy: context.policy, servers, inventory: rows, settings: context.settings, only }).servers;
}

/**
 * A listed server the sweep need not plan again: its row says not a clone and not proven, it is not being deleted,
 * and its tags are those the row recorded. The sweep deletes only proven clones, so its plan could only confirm that
 * (a confirmation or a restore's record would have changed the row, a new tag its tags); left unplanned, it counts as
 * no clone, as its row does, which never raises a cap.
 */
export function settledNotAClone(server: Server, row: InventoryRecord | undefined): boolean {
  return (
    row !== undefined &&
    row.classification === 'not-a-clone' &&
    !mayModify(row.proof) &&
    row.state !== 'deleting' &&
    row.state !== 'deleted' &&
    changedKeys(row.tags, server.tags).length === 0
  );
}

/**
 * Known clones: inventory clones not deleted, and listed servers the plan calls clones. Disagreements: rows not
 * deleted whose server is not listed (a row mid-deletion excepted), and listed clones without a row.
 * @example knownClones([{ servers: [], rows: [row], plans: [], live: new Map() }]) // { clones: 1, disagreements: ['pg-x: in the inventory, not listed by ARM'] }
 */
export function knownClones(subscriptions: readonly PlannedSubscription[]): {
  clones: number;
  disagreements: string[];
} {
  const clones = new Set<string>();
  const disagreements: string[] = [];
  for (const { rows, plans, live } of subscriptions) {
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const row of rows) {
      if (row.state === 'deleted') continue;
      if (row.classification !== 'not-a-clone') clones.add(row.key);
      if (!live.has(row.key) && row.state !== 'deleting')
        disagreements.push(`${row.name}: in the inventory, not listed by ARM`);
    }
    for (const plan of plans) {
      if (!live.has(plan.key) || plan.classification === 'not-a-clone') continue;
      clones.add(plan.key);
      const row = byKey.get(plan.key);
      if (!row || row.state === 'deleted')
        disagreements.push(`${plan.name}: a listed ${plan.classification} without an inventory row`);
    }
  }
  return { clones: clones.size, disagreements };
}

/**
 * Why the sweep must not delete anything when inventory and ARM disagree on more than the limit's share of the known
 * clones, or undefined when they agree well enough.
 * @example disagreementStop({ clones: 4, disagreements: ['a', 'b'] }, 25) // 'inventory and ARM disagree on 2 server(s), 50.0% of 4 …'
 */
export function disagreementStop(
  known: { clones: number; disagreements: readonly string[] },
  maxDisagreementPercent: number,
): string | undefined {
  const percent = (known.disagreements.length / Math.max(known.clones, 1)) * 100;
  if (percent <= maxDisagreementPercent) return undefined;
  const shown = known.disagreements.slice(0, 5).join('; ');
  return (
    `inventory and ARM disagree on ${known.disagreements.length} server(s), ${percent.toFixed(1)}% of ${known.clones} known clone(s) ` +
    `(limit ${maxDisagreementPercent}%): ${shown}${known.disagreements.length > 5 ? '; ...' : ''}`
  );
}

/**
 * Deletions allowed this run: the smaller of the two caps. The percentage rounds down but allows one deletion per
 * run (a 20% cap of 4 clones would otherwise never let a small estate expire anything); 0% switches deletion off.
 * @example deletionCap(4, { maxDeletionsPerRun: 10, maxDeletionPercent: 20 }) // 1
 */
export function deletionCap(
  knownClones: number,
  caps: { maxDeletionsPerRun: number; maxDeletionPercent: number },
): number {
  const byPercent =
    caps.maxDeletionPercent > 0 ? Math.max(1, Math.floor((knownClones * caps.maxDeletionPercent) / 100)) : 0;
  return Math.min(caps.maxDeletionsPerRun, byPercent);
}

/**
 * The plan's deletions, oldest expiry first, and what the sweep reports of the other listed clones: plan skips
 * about deletion (skipped) and holds and locks (held). Skips at `locks-not-read` are neither: their locks are read
 * and they are planned again.
 */
export function sweepSelection(subscriptions: readonly PlannedSubscription[]): {
  eligible: Eligible[];
  skipped: SweepItem[];
  held: SweepItem[];
} {
  const eligible: Eligible[] = [];
  const skipped: SweepItem[] = [];
  const held: SweepItem[] = [];
  for (const { plans, live, servers } of subscriptions) {
    for (const plan of plans) {
      const server = live.get(plan.key);
      if (!server || plan.classification === 'not-a-clone') continue;
      const action = deleteActionOf(plan);
      if (action) {
        eligible.push({ server, plan, action, peers: servers });
        continue;
      }
      for (const a of plan.actions) {
        if (a.type !== 'skip') continue;
        const why = skipText(a);
        if (HOLD_SKIPS.has(a.reason)) held.push(sweepItem(plan, why));
        else if (DELETION_SKIPS.has(a.reason)) skipped.push(sweepItem(plan, why));
        else if (a.reason === 'dry-run' && a.detail?.startsWith('sweep:'))
          skipped.push(sweepItem(plan, `policy sweep rule is dry-run: ${a.detail}`));
      }
    }
  }
  eligible.sort((a, b) => a.action.expiresOn.localeCompare(b.action.expiresOn) || a.plan.key.localeCompare(b.plan.key));
  return { eligible, skipped, held };
}

/** The clones the plan left at `locks-not-read`: their locks are read before the sweep decides. */
export function needingLocks(plans: readonly ServerPlan[]): ServerPlan[] {
  return plans.filter((p) => p.actions.some((a) => a.type === 'skip' && a.reason === 'locks-not-read'));
}

/** Why a server is not deleted now although planned: a delete under way, or nothing at all (undefined). */
export function deleteUnderWay(live: Server): string | undefined {
  return DROPPING.has((live.state ?? '').toLowerCase())
    ? `ARM state ${live.state}: a delete is already under way`
    : undefined;
}

/**
 * What changed between planning and the live re-read, or undefined when nothing did and the re-plan of the one
 * server (with the peers its classification can rest on) still deletes it at the same expiry and final notice.
 */
export function changeSincePlanning(
  candidate: Eligible,
  live: Server,
  row: InventoryRecord,
  now: Date,
  context: SweepPlanContext,
): string | undefined {
  const before = candidate.server;
  const tags = changedKeys(before.tags, live.tags);
  if (tags.length > 0) return `tags ${tags.join(', ')}`;
  if ((before.state ?? '') !== (live.state ?? ''))
    return `state ${before.state ?? 'unknown'} -> ${live.state ?? 'unknown'}`;
  if (lockSignature(before.locks) !== lockSignature(live.locks))
    return `locks ${lockSignature(before.locks) || 'none'} -> ${lockSignature(live.locks) || 'none'}`;
  const replanned = planOneServer(live, {
    now,
    policy: context.policy,
    peers: twinCandidates(live, candidate.peers),
    inventory: [row],
    settings: context.settings,
  });
  const action = deleteActionOf(replanned);
  if (!action) {
    const skip = replanned.actions.find((a) => a.type === 'skip');
    return `the re-plan no longer deletes it${skip?.type === 'skip' ? ` (${skipText(skip)})` : ''}`;
  }
  if (action.expiresOn !== candidate.action.expiresOn)
    return `expiry ${candidate.action.expiresOn} -> ${action.expiresOn}`;
  if (action.finalNoticeSentAt !== candidate.action.finalNoticeSentAt)
    return `final notice ${candidate.action.finalNoticeSentAt} -> ${action.finalNoticeSentAt}`;
  return undefined;
}

/**
 * The locks of the live re-read that keep the clone (ARM refuses a delete under either level), as a held reason; a
 * lock placed after the plan's locks were read (the subscription's list, or the row's record of reconcile's read).
 * @example lockedLive(live) // 'locked: CanNotDelete lock "keep" (placed after the locks the plan used were read)'
 */
export function lockedLive(live: Server): string | undefined {
  const locks = blockingLocks(live.locks);
  if (locks.length === 0) return undefined;
  return `locked: ${locks.map((l) => `${l.level} lock "${l.name}"`).join(', ')} (placed after the locks the plan used were read)`;
}

/**
 * The peers a classification of `server` can rest on (a probable-clone twin is an earlier server with the same
 * administrator login), so a re-plan is one server's work, not the subscription's. Fewer peers can only lower the
 * classification, so this never widens what is deleted.
 */
export function twinCandidates(server: Server, peers: readonly Server[] | TwinIndex): Server[] {
  const created = server.createdAt ? Date.parse(server.createdAt) : NaN;
  if (Number.isNaN(created)) return [];
  const index = peers instanceof TwinIndex ? peers : new TwinIndex(peers);
  return index
    .byLogin(server.administratorLogin)
    .flatMap(({ peer, at }) => (peer.key !== server.key && at < created ? [peer] : []));
}

/**
 * Servers by administrator login, with their creation times parsed once: `twinCandidates` of many candidates against
 * one subscription's servers reads only the servers of each candidate's login.
 * @example const index = new TwinIndex(servers); for (const c of candidates) twinCandidates(c, index);
 */
export class TwinIndex {
  private readonly logins = new Map<string | undefined, { peer: Server; at: number }[]>();

  constructor(peers: readonly Server[]) {
    for (const peer of peers) {
      if (peer.createdAt === undefined) continue;
      const entry = { peer, at: Date.parse(peer.createdAt) };
      const list = this.logins.get(peer.administratorLogin);
      if (list) list.push(entry);
      else this.logins.set(peer.administratorLogin, [entry]);
    }
  }

  byLogin(login: string | undefined): readonly { peer: Server; at: number }[] {
    return this.logins.get(login) ?? [];
  }
}

/** What a deletion came to, as its evidence says it (`finished`: a run or event after the DELETE found the server gone). */
export interface DeletionOutcome {
  readonly outcome: string;
  readonly reason: string;
  readonly details: Record<string, unknown>;
}

/**
 * The evidence entry and the row of a clone recorded deleted after the sweep's intent (its row at `deleting`). The
 * entry's id rests on the intent's expiry, so whoever records it (the sweep that asked ARM, the next sweep, reconcile
 * or the delete event) writes the same entry once.
 * @example deletionRecorded(row, { outcome: 'finished', reason: row.deleteReason, details: {} }, 'pitr-warden', at)
 */
export function deletionRecorded(
  row: InventoryRecord,
  what: DeletionOutcome,
  actor: string,
  at: string,
): { entry: EvidenceEntry; record: InventoryRecord } {
  // Whoever asked ARM to delete it (the intent's), not whoever notices it gone.
  const by = row.deletedBy ?? actor;
  return {
    entry: {
      serverKey: row.key,
      // The intent set expiresOn to the action's: a finishing run writes the same id.
      id: `sweep:deleted:${row.expiresOn ?? 'none'}`,
      at,
      actor,
      kind: 'deleted',
      summary: `Deleted ${row.name} (${what.outcome})`,
      reason: what.reason,
      before: { state: row.state },
      after: { state: 'deleted', deletedAt: at, deletedBy: by },
      details: { outcome: what.outcome, ...what.details },
    },
    record: { ...row, state: 'deleted', deletedAt: at, deletedBy: by, deleteReason: what.reason, updatedAt: at },
  };
}

/**
 * A deletion the sweep asked ARM for (row at `deleting`), recorded once ARM has finished it: by the next sweep, a
 * reconcile or the delete event, or `sweep --wait`. The reason is the intent's.
 * @example const { entry, record } = finishedDeletion(row, 'pitr-warden', at)
 */
export function finishedDeletion(
  row: InventoryRecord,
  actor: string,
  at: string,
): { entry: EvidenceEntry; record: InventoryRecord; reason: string } {
  const reason = row.deleteReason ?? 'expired clone';
  return {
    ...deletionRecorded(row, { outcome: 'finished', reason, details: { noticesSent: row.noticesSent } }, actor, at),
    reason,
  };
}

/** The reason of a row released from `deleting` because its re-plan no longer deletes it. */
export function releaseReason(plan: ServerPlan | undefined): string {
  const why = plan?.actions.find((a) => a.type === 'skip');
  return why?.type === 'skip' ? skipText(why) : 'no longer eligible';
}

export function sweepItem(plan: Pick<ServerPlan, 'id' | 'name'>, reason: string): SweepItem {
  return { id: plan.id, name: plan.name, reason };
}

function deleteActionOf(plan: ServerPlan): DeleteAction | undefined {
  return plan.actions.find((a): a is DeleteAction => a.type === 'delete-server');
}

function skipText(skip: Extract<PlanAction, { type: 'skip' }>): string {
  return `${skip.reason}${skip.detail ? `: ${skip.detail}` : ''}`;
}

function changedKeys(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]).sort();
}
