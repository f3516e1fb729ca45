import type { Config } from '../config.js';
import type { CostEstimate, Prices } from '../domain/cost.js';
import { estimateCostOf } from '../domain/costSql.js';
import type { EvidenceEntry, InventoryRecord, ManagementLock, Server, Violation } from '../domain/model.js';
import {
  buildDigests,
  noticeItemFromRecord,
  type Digest,
  type NoticeItem,
  type NoticeTemplates,
} from '../domain/notices/index.js';
import { describeFixes } from '../domain/notices/fixed.js';
import { sameViolation, type FixedViolation } from '../domain/notices/item.js';
import { lifetimeLimits } from '../domain/operator.js';
import { buildPlan, type PlanAction, type ServerPlan } from '../domain/plan.js';
import { recordFromPlan } from '../domain/record.js';
import type { PriceSource } from '../ports/prices.js';
import type { MailerPort } from '../ports/mailer.js';
import type { GovernDeps } from './deps.js';
import { runLimited } from './reconcile.js';
import { errorMessage } from '../errorMessage.js';

/**
 * What the notice jobs act through: the governance ports plus mail, prices and templates (src/wiring.ts `Wired`).
 * @example await sendOwnerNotices(await wire());
 */
export interface NoticesDeps extends GovernDeps {
  readonly config: Pick<Config, 'mail' | 'portalUrl'>;
  readonly mailer: MailerPort;
  readonly prices: PriceSource;
  /** Loads (once) and checks the notice templates. */
  readonly templates: () => Promise<NoticeTemplates>;
}

type Notify = Extract<PlanAction, { type: 'notify' }>;

/** The notices due now, one digest per recipient, and what could not be looked at. */
export interface DueNotices {
  readonly digests: Digest[];
  /** Inventory rows by key, as read at the start of the run. */
  readonly rows: ReadonlyMap<string, InventoryRecord>;
  readonly failed: { id: string; reason: string }[];
}

/**
 * Plans every governed subscription and turns its `notify` actions into digests, most urgent first.
 * Only servers with an inventory row get notices: a sent notice is recorded on the row (reconcile writes new rows).
 */
export async function dueNotices(deps: NoticesDeps, now: Date, options: { owner?: string } = {}): Promise<DueNotices> {
  const inventory = await deps.inventory.list();
  const rows = new Map(inventory.map((r) => [r.key, r]));
  const failed: { id: string; reason: string }[] = [];
  const items: NoticeItem[] = [];
  const costOf = costEstimator(deps.prices, now);
  for (const subscriptionId of deps.settings.subscriptionIds) {
    // Live ARM lists (list pages only), like reconcile: tags, expiry and legal hold as they are now, so an owner who
    // just extended a clone gets no reminder for the old date; locks are read per server, so they come from the row.
    let live: Server[];
    try {
      live = (await deps.servers.list(subscriptionId)).map((s) => withRecordedLocks(s, rows.get(s.key)));
    } catch (error) {
      failed.push({
        id: `/subscriptions/${subscriptionId}`,
        reason: `listing servers failed; no notices for this subscription this run: ${errorMessage(error)}`,
      });
      continue;
    }
    const subRows = inventory.filter((r) => r.subscriptionId.toLowerCase() === subscriptionId.toLowerCase());
    const plan = buildPlan({
      now,
      policy: deps.policy,
      servers: live,
      inventory: subRows,
      settings: mailSettings(deps),
      drillClientAddresses: deps.settings.drillClientAddresses ?? [],
    });
    const liveByKey = new Map(live.map((s) => [s.key, s]));
    const work: Array<() => Promise<void>> = [];
    const planned: ServerPlan[] = [];
    for (const serverPlan of plan.servers) {
      const notify = serverPlan.actions.filter((a): a is Notify => a.type === 'notify');
      const row = rows.get(serverPlan.key);
      if (notify.length === 0 || !row) continue;
      const server = liveByKey.get(serverPlan.key);
      // A deleted row under a live server is an older server of the same name: reconcile records the new one first.
      if (server && row.state === 'deleted') continue;
      planned.push(serverPlan);
      work.push(async () => {
        const violations = server
          ? await violationsNow(deps, serverPlan, row, now)
          : { open: [...row.violations], fixed: [] };
        const record = server
          ? {
              ...liveRecord(server, serverPlan, row, now),
              violations: violations.open,
              compliant: violations.open.length === 0,
            }
          : row;
        const cost = await costOf(record);
        for (const action of notify)
          items.push(
            itemFor(deps, record, serverPlan, action, {
              cost,
              now,
              fixed: action.stage === 'new-clone' ? violations.fixed : [],
            }),
          );
      });
    }
    await runLimited(work, 8, (error, index) =>
      failed.push({
        id: planned[index]?.id ?? subscriptionId,
        reason: `building the notice failed: ${errorMessage(error)}`,
      }),
    );
  }
  const wanted = options.owner?.trim().toLowerCase();
  const digests = buildDigests(wanted ? items.filter((i) => i.recipient.trim().toLowerCase() === wanted) : items, {
    now,
  });
  return { digests: digests.sort(byUrgency), rows, failed };
}

function itemFor(
  deps: NoticesDeps,
  record: InventoryRecord,
  plan: ServerPlan,
  action: Notify,
  facts: { cost: CostEstimate; now: Date; fixed: FixedViolation[] },
): NoticeItem {
  // The plan routed the notice (owner, or the fallback mailbox with a note saying why): not routed a second time here.
  const { to, note } = action;
  return noticeItemFromRecord(record, {
    stage: action.stage,
    ...(action.leadDays !== undefined ? { leadDays: action.leadDays } : {}),
    recipient: to,
    ...(note ? { recipientNote: note } : {}),
    cost: facts.cost,
    now: facts.now,
    tagKeys: deps.policy.tagKeys,
    // What `extend` enforces, so the advised date is one it accepts.
    maxLifetimeDays: lifetimeLimits(deps.policy, record.engine).maxDays,
    portalUrl: deps.config.portalUrl,
    ...(action.deleteAfter ? { deleteAfter: action.deleteAfter } : {}),
    violationsFixed: facts.fixed,
  });
}

function mailSettings(deps: Pick<GovernDeps, 'settings'>) {
  return {
    fallbackMailbox: deps.settings.fallbackMailbox,
    allowedRecipientDomains: [...deps.settings.allowedRecipientDomains],
  };
}

/** The row as the live server shows it now: tags, expiry, owner, state. */
function liveRecord(server: Server, plan: ServerPlan, row: InventoryRecord, now: Date): InventoryRecord {
  return recordFromPlan({ server, plan, previous: row, now: now.toISOString(), observedAt: row.observedAt });
}

/**
 * Violations open now and those fixed since found (worded as done, with when, from the evidence). The live plan re-checks tags and public access from the list page;
 * firewall rules are not on it, so a rule violation stays open until the evidence shows the rule deleted.
 */
async function violationsNow(
  deps: NoticesDeps,
  plan: ServerPlan,
  row: InventoryRecord,
  now: Date,
): Promise<{ open: Violation[]; fixed: FixedViolation[] }> {
  const entries: EvidenceEntry[] = await deps.evidence.list(row.key);
  const deletedRules = new Set(
    entries
      .filter((e) => e.kind === 'delete-firewall-rule')
      .map((e) => ruleNameOf(e))
      .filter((n): n is string => n !== undefined),
  );
  const unreadRules = row.violations.filter(
    (v) => v.subject?.kind === 'firewall-rule' && v.subject.name !== undefined && !deletedRules.has(v.subject.name),
  );
  const open = unique([...plan.violations, ...unreadRules]);
  const seen = [
    ...row.violations,
    ...entries
      .filter((e) => e.kind === 'violation')
      .map((e) => asViolation(e.details))
      .filter((v): v is Violation => v !== undefined),
  ];
  const fixed = unique(seen).filter((v) => !open.some((o) => sameViolation(o, v)));
  return { open, fixed: describeFixes(fixed, entries, { checkedAt: now.toISOString() }) };
}

function ruleNameOf(entry: EvidenceEntry): string | undefined {
  const after = entry.after as { rule?: unknown } | undefined;
  const before = entry.before as { name?: unknown } | undefined;
  return typeof after?.rule === 'string' ? after.rule : typeof before?.name === 'string' ? before.name : undefined;
}

function unique(violations: readonly Violation[]): Violation[] {
  const out: Violation[] = [];
  for (const v of violations) if (!out.some((o) => sameViolation(o, v))) out.push(v);
  return out;
}

function asViolation(value: unknown): Violation | undefined {
  const v = value as Partial<Violation> | undefined;
  if (!v || typeof v.rule !== 'string' || typeof v.detail !== 'string') return undefined;
  return {
    rule: v.rule,
    ...(v.subject && typeof v.subject.kind === 'string' ? { subject: v.subject } : {}),
    detail: v.detail,
  };
}

/** A held row whose live tags carry no legal hold was held by a lock (locks are read per server, by reconcile). */
function withRecordedLocks(server: Server, row: InventoryRecord | undefined): Server {
  if (server.locks !== undefined || row?.state !== 'held') return server;
  const lock: ManagementLock = {
    name: '(recorded by reconcile)',
    level: 'CanNotDelete',
    notes: 'the inventory row is held',
  };
  return { ...server, locks: [lock] };
}

/** Cost of a clone, prices fetched once per region per run; deleted clones accrue until their deletion. */
export function costEstimator(prices: PriceSource, now: Date): (record: InventoryRecord) => Promise<CostEstimate> {
  const byRegion = new Map<string, Promise<Prices>>();
  return async (record) => {
    const region = record.location.trim().toLowerCase();
    const sku = record.skuName ?? '';
    if (record.storageSizeGb === undefined)
      return { known: false, reason: `unknown price for ${sku || '(no SKU)'} in ${region}: storage size not known` };
    let regional = byRegion.get(`${record.engine}:${region}`);
    if (!regional) {
      regional = prices.itemsFor(region, record.engine).then(({ items, source }) => ({ items, source }));
      byRegion.set(`${record.engine}:${region}`, regional);
    }
    try {
      const p = await regional;
      return estimateCostOf(
        record.engine,
        {
          skuName: sku,
          ...(record.skuTier ? { tier: record.skuTier } : {}),
          storageSizeGb: record.storageSizeGb,
          region,
          ...(record.createdAt ? { createdAt: record.createdAt } : {}),
          ...(record.deletedAt ? { until: record.deletedAt } : {}),
        },
        p,
        now,
      );
    } catch (error) {
      return { known: false, reason: `unknown price for ${sku || '(no SKU)'} in ${region}: ${errorMessage(error)}` };
    }
  };
}

const RANK = { 'final-notice': 0, deleted: 1, reminder: 2, noncompliant: 3, 'new-clone': 4 } as const;

/** Digests whose first (most urgent) clone is most urgent go out first when the budget runs short. */
function byUrgency(a: Digest, b: Digest): number {
  const rank = (d: Digest) => (d.entries[0] ? RANK[d.entries[0].item.stage] : 9);
  return rank(a) - rank(b) || (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0);
}
