/** The warden's one decision: (servers, inventory, notice history, policy, now) -> what to do to each server. */
import { classify, type ClassificationResult } from './classify.js';
import { parseServerId, serverKey } from './ids.js';
import {
  blockingLocks,
  decideExpiry,
  deletionCheck,
  dueExpiryNotice,
  type NoticeRecord,
  wasSent,
} from './lifecycle.js';
import type {
  Classification,
  Exposure,
  FirewallRule,
  InventoryRecord,
  Lineage,
  NoticeStage,
  OperatorDecision,
  OwnerSource,
  Proof,
  RestoreEvidence,
  Server,
  SkipReason,
  Violation,
} from './model.js';
import { mayModify, proofOfRecord, reviewCommands, rowOfIncarnation } from './proof.js';
import { firewallRuleProblem, subnetAllowed } from './network.js';
import { isDrillAppRule } from './drills.js';
import { attributeOwner, mailRoute, type MailSettings, type OwnerAttribution } from './owner.js';
import { ENGINE_SPECS, type Engine, type EngineSpec } from './engines.js';
import { ruleOf, rulesFor, type Policy, type Rule, type RuleOf } from './policy.js';
import {
  AZURE_MAX_TAGS,
  formatUtc,
  getNonEmptyTag,
  getTag,
  isLegalHold,
  mergeTags,
  parseExpiresOn,
  tagChanges,
} from './tags.js';

/** A notice as given with a snapshot or by a job: ids in any casing. */
export interface NoticeSentInput {
  readonly server: string;
  readonly stage: NoticeStage;
  readonly sentAt: string;
  readonly leadDays?: number;
}

/**
 * Everything the plan decides on. Pure data: the same input always gives the same plan.
 * @example buildPlan({ now: new Date('2026-12-01T09:00:00Z'), policy: DEFAULT_POLICY, servers, inventory: [],
 *   settings: { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] } })
 */
export interface PlanInput {
  readonly now: Date;
  readonly policy: Policy;
  /** Live servers, with firewallRules and locks where they were read. */
  readonly servers: readonly Server[];
  readonly inventory: readonly InventoryRecord[];
  readonly noticesSent?: readonly NoticeSentInput[];
  readonly restoreEvidence?: readonly RestoreEvidence[];
  readonly settings: MailSettings;
  /** The app's outbound addresses (DRILL_CLIENT_ADDRESSES): a drill's own rule for them on its clone is the drill's to remove. */
  readonly drillClientAddresses?: readonly { readonly start: string; readonly end: string }[];
  /**
   * Keys of the live servers to plan; the other live servers are only peers (a source, a twin) of those, and get no
   * plan. All of them when left out.
   */
  readonly only?: ReadonlySet<string>;
}

export type PlanAction =
  /** One Tags API Merge with every tag write. */
  | { readonly type: 'tag'; readonly set: Record<string, string>; readonly reason: string }
  | {
      readonly type: 'delete-firewall-rule';
      readonly rule: string;
      readonly startIpAddress: string;
      readonly endIpAddress: string;
      readonly reason: string;
    }
  | { readonly type: 'disable-public-access'; readonly reason: string }
  | { readonly type: 'stop-server'; readonly reason: string }
  | {
      readonly type: 'notify';
      readonly stage: NoticeStage;
      readonly to: string;
      readonly toSource: OwnerSource | 'fallback-domain-not-allowed';
      readonly leadDays?: number;
      readonly deleteAfter?: string;
      readonly reason: string;
      /** Why the notice goes to the fallback mailbox instead of the owner, for its reader. */
      readonly note?: string;
    }
  | {
      readonly type: 'delete-server';
      readonly reason: string;
      readonly expiresOn: string;
      readonly finalNoticeSentAt: string;
    }
  /** Tags API Delete of name/value pairs (a Merge cannot remove a tag): ExpiresOn of a promoted server. */
  | { readonly type: 'remove-tags'; readonly tags: Record<string, string>; readonly reason: string }
  | { readonly type: 'skip'; readonly reason: SkipReason; readonly detail?: string };

export type PlanActionType = PlanAction['type'];

/** Every action that changes a server in Azure: the gate lets them through for proven clones only. */
export const MODIFYING_ACTIONS: ReadonlySet<PlanActionType> = new Set<PlanActionType>([
  'tag',
  'remove-tags',
  'delete-firewall-rule',
  'disable-public-access',
  'stop-server',
  'delete-server',
]);

export type ModifyingAction = Extract<
  PlanAction,
  { type: 'tag' | 'remove-tags' | 'delete-firewall-rule' | 'disable-public-access' | 'stop-server' | 'delete-server' }
>;

export function isModifying(action: PlanAction): action is ModifyingAction {
  return MODIFYING_ACTIONS.has(action.type);
}

export interface ServerPlan {
  readonly key: string;
  readonly engine: Engine;
  readonly name: string;
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly classification: Classification;
  readonly classificationEvidence: string[];
  /** The proof of the classification: the plan modifies only proven clones. */
  readonly proof: Proof;
  /** Operator decisions on this server (confirm, dismiss, promote, governed restore), as recorded. */
  readonly decisions?: readonly OperatorDecision[];
  /**
   * Claimed or suspected servers only: what the next run would do once an operator confirms the server a clone (tag
   * writes, network changes, notices), one line each; none of it is done before. The review digest lists it.
   */
  readonly onceConfirmed?: readonly string[];
  /** Promoted by an operator: no longer a clone under the lifecycle (no expiry, notices, deletion or clone policy). */
  readonly promoted?: boolean;
  readonly lineage: Lineage;
  readonly owner?: string;
  readonly ownerSource?: OwnerSource;
  /** The expiry once this plan's tag writes are done (ISO UTC), null when absent or unparseable. */
  readonly expiresOn: string | null;
  /** The raw ExpiresOn tag on the live server (what the owner wrote), when present. */
  readonly expiresOnTag?: string;
  /** Never deleted: a legal-hold tag or a CanNotDelete/ReadOnly lock. */
  readonly held: boolean;
  readonly violations: Violation[];
  readonly actions: PlanAction[];
  /** How the resource is reachable when its network belongs to a parent shared with production (a SQL database's logical server). */
  readonly exposure?: Exposure;
}

export type { Exposure } from './model.js';

/** What `pitr-warden plan` prints and what jobs execute. */
export interface Plan {
  readonly now: string;
  readonly servers: ServerPlan[];
}

const DEFAULT_GRACE_DAYS = 2;

/** Builds the plan: one entry per live server and per inventory row without a live server, sorted by key. */
export function buildPlan(input: PlanInput): Plan {
  const inventory = new Map<string, InventoryRecord>();
  for (const record of input.inventory) inventory.set(serverKey(record.key || record.id), record);
  const notices = noticesByServer(input.noticesSent);
  const live = new Map<string, Server>();
  for (const server of [...input.servers].sort(byKey)) if (!live.has(server.key)) live.set(server.key, server);
  const estate = [...live.values()];

  const plans: ServerPlan[] = (input.only ? estate.filter((s) => input.only!.has(s.key)) : estate).map((server) =>
    planLive(server, { input, estate, record: inventory.get(server.key), notices: notices.get(server.key) ?? [] }),
  );
  for (const [key, record] of inventory) {
    if (live.has(key)) continue;
    // A server that is gone has nothing left to modify; the deleted notice tells what happened.
    plans.push(planGone(key, record, [...record.noticesSent, ...(notices.get(key) ?? [])], input));
  }
  return { now: formatUtc(input.now), servers: plans.sort(byKey) };
}

/**
 * The plan of one live server, what `buildPlan` gives for it without planning the rest of the estate: `peers` are the
 * servers its classification may rest on (a source, Terraform twins), and `inventory` may hold its own row.
 * @example planOneServer(live, { now, policy, peers, inventory: row ? [row] : [], restoreEvidence, settings })
 */
export function planOneServer(
  server: Server,
  input: Omit<PlanInput, 'servers'> & { readonly peers: readonly Server[] },
): ServerPlan {
  const live = new Map<string, Server>([[server.key, server]]);
  for (const peer of input.peers) if (!live.has(peer.key)) live.set(peer.key, peer);
  const estate = [...live.values()].sort(byKey);
  const record = input.inventory.find((r) => serverKey(r.key || r.id) === server.key);
  return planLive(server, {
    input: { ...input, servers: estate },
    estate,
    record,
    notices: noticesByServer(input.noticesSent).get(server.key) ?? [],
  });
}

function noticesByServer(sent: PlanInput['noticesSent']): Map<string, NoticeRecord[]> {
  const notices = new Map<string, NoticeRecord[]>();
  for (const n of sent ?? []) {
    const key = serverKey(n.server);
    notices.set(key, [
      ...(notices.get(key) ?? []),
      { stage: n.stage, sentAt: n.sentAt, ...(n.leadDays !== undefined ? { leadDays: n.leadDays } : {}) },
    ]);
  }
  return notices;
}

function planLive(
  server: Server,
  from: {
    input: PlanInput;
    estate: readonly Server[];
    record: InventoryRecord | undefined;
    notices: readonly NoticeRecord[];
  },
): ServerPlan {
  // A row of a deleted server, or of an earlier server of the same name (another creation time), describes another server.
  const current = rowOfIncarnation(from.record, server);
  const history = [...(current?.noticesSent ?? []), ...from.notices];
  const ctx: ServerContext = { input: from.input, estate: from.estate, record: current, history };
  const plan = planServer(server, ctx);
  // What the next run would do once an operator confirms it: the same plan, with the server proven by that confirmation.
  const unproven = plan.proof.level === 'claimed' || plan.proof.level === 'suspected';
  return gate(plan, unproven ? planServer(server, { ...ctx, assumeProven: true }) : undefined);
}

function byKey<T extends { key: string }>(a: T, b: T): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

interface ServerContext {
  readonly input: PlanInput;
  readonly estate: readonly Server[];
  readonly record: InventoryRecord | undefined;
  readonly history: readonly NoticeRecord[];
  /** Plan a claimed or suspected server as an operator's confirmation would make it: proven (what `onceConfirmed` lists). */
  readonly assumeProven?: boolean;
}

/** What the tag and network rules found on one server. */
interface Findings {
  readonly violations: Violation[];
  /** Tag writes in rule order, each with its reason. */
  readonly tagWrites: { key: string; value: string; reason: string }[];
  readonly remediations: PlanAction[];
  readonly dryRunSkips: PlanAction[];
  /** What only the owner can fix: drives the noncompliant notice. */
  readonly ownerNeeded: string[];
  /** Why the clone should be stopped (enforce-mode rules with quarantine and an unremediable violation). */
  readonly quarantine: string[];
}

function planServer(server: Server, ctx: ServerContext): ServerPlan {
  const { policy, now } = ctx.input;
  const engine = server.engine;
  const prefix = ruleOf(policy, 'replace-inherited-ownership', engine)?.sourceKeyPrefix ?? 'Source';
  const classified = classify(server, {
    servers: ctx.estate,
    restoreEvidence: ctx.input.restoreEvidence ?? [],
    ...(ctx.record ? { inventory: ctx.record } : {}),
    tagKeys: policy.tagKeys,
    sourceKeyPrefix: prefix,
  });
  const expiresOnTag = getTag(server.tags, policy.tagKeys.expiresOn);
  const legalHold = isLegalHold(getTag(server.tags, policy.tagKeys.legalHold));
  const held = legalHold || blockingLocks(server.locks).length > 0;
  // A clone is proven from this pass on when no earlier pass recorded it so: its late-discovery countdown starts now.
  const assumed = ctx.assumeProven && (classified.proof.level === 'claimed' || classified.proof.level === 'suspected');
  const proof: Proof = assumed
    ? {
        level: 'proven',
        basis: 'operator',
        evidence: classified.proof.evidence,
        contradictions: [],
        provenAt: formatUtc(now),
      }
    : classified.proof.level === 'proven'
      ? { ...classified.proof, provenAt: classified.proof.provenAt ?? formatUtc(now) }
      : classified.proof;
  const decisions = ctx.record?.decisions;
  const exposure = exposureOf(server);
  const base = {
    key: server.key,
    engine,
    name: server.name,
    id: server.id,
    subscriptionId: server.subscriptionId,
    resourceGroup: server.resourceGroup,
    classification: classified.classification,
    classificationEvidence: classified.evidence,
    proof,
    ...(decisions && decisions.length > 0 ? { decisions } : {}),
    lineage: classified.lineage,
    ...(expiresOnTag !== undefined ? { expiresOnTag } : {}),
    held,
    ...(exposure ? { exposure } : {}),
  };
  if (classified.classification === 'not-a-clone') {
    const parsed = parseExpiresOn(expiresOnTag);
    return {
      ...base,
      expiresOn: parsed.ok ? formatUtc(parsed.at) : null,
      violations: [],
      actions: [{ type: 'skip', reason: 'not-a-clone' }],
    };
  }
  if (classified.promoted && proof.level === 'proven') return planPromoted(server, base, classified, ctx);

  const owner = attributeOwner({
    server,
    ...(classified.source ? { source: classified.source } : {}),
    lineage: classified.lineage,
    ...(classified.restore ? { restore: classified.restore } : {}),
    ...(ctx.record ? { inventory: ctx.record } : {}),
    tagKeys: policy.tagKeys,
    sourceKeyPrefix: prefix,
    settings: ctx.input.settings,
  });
  const newCloneSent = ctx.history
    .filter((n) => n.stage === 'new-clone')
    .map((n) => n.sentAt)
    .sort()[0];
  // The countdown of a clone the owner has not heard of yet runs from now (late discovery), else from the new-clone notice.
  // An unproven server has no countdown: its expiry is what its tag says, and the expiry rule is not applied to it.
  const proven = mayModify(proof);
  const expiry = decideExpiry(
    server,
    proven ? ruleOf(policy, 'expiry', engine) : undefined,
    policy.tagKeys.expiresOn,
    now,
    {
      announcedAt: newCloneSent ? new Date(newCloneSent) : undefined,
      // A held or locked clone runs no countdown: its passed expiry is left as it is.
      unannounced: !newCloneSent && !held && ruleOf(policy, 'notices', engine) !== undefined,
    },
  );
  const findings: Findings = {
    violations: [],
    tagWrites: [],
    remediations: [],
    dryRunSkips: [],
    ownerNeeded: [],
    quarantine: [],
  };
  for (const rule of rulesFor(policy, engine))
    if (proven || rule.type !== 'expiry')
      applyRule(rule, server, {
        classified,
        owner,
        expiry,
        policy,
        findings,
        drillClientAddresses: ctx.input.drillClientAddresses ?? [],
      });

  const tagAction = tagActionFor(server, findings);
  const expiryWrite = tagAction?.type === 'tag' ? getTag(tagAction.set, policy.tagKeys.expiresOn) : undefined;
  const effectiveExpiry = expiryWrite !== undefined ? parseExpiresOn(expiryWrite) : expiry.parsed;
  const expiresOn = effectiveExpiry.ok ? formatUtc(effectiveExpiry.at) : null;

  const notices = ruleOf(policy, 'notices', engine);
  const check = ruleOf(policy, 'sweep', engine)
    ? deletionCheck({
        classification: classified.classification,
        proven: mayModify(proof),
        newCloneNoticeSent: wasSent(ctx.history, 'new-clone'),
        expiresOnTag,
        expiryChanging: expiryWrite !== undefined,
        now,
        history: ctx.history,
        graceDays: notices?.graceDays ?? DEFAULT_GRACE_DAYS,
        legalHold,
        locks: server.locks,
      })
    : undefined;
  const sweep = ruleOf(policy, 'sweep', engine);
  const common = {
    ...base,
    owner: owner.owner,
    ownerSource: owner.ownerSource,
    expiresOn,
    violations: findings.violations,
  };
  if (check?.eligible && sweep?.mode === 'enforce') {
    const reason = `expired ${check.expiresOn}; final notice sent ${check.finalNoticeSentAt}, grace of ${notices?.graceDays ?? DEFAULT_GRACE_DAYS} days over; no hold, no lock`;
    return {
      ...common,
      actions: [
        { type: 'delete-server', reason, expiresOn: check.expiresOn, finalNoticeSentAt: check.finalNoticeSentAt },
      ],
    };
  }

  const actions: PlanAction[] = [];
  if (tagAction) actions.push(tagAction);
  actions.push(...findings.remediations);
  actions.push(...quarantine(server, findings.quarantine));
  if (notices) {
    const notify = noticesFor({
      owner,
      findings,
      history: ctx.history,
      now,
      effectiveExpiry: effectiveExpiry.ok ? effectiveExpiry.at : undefined,
      blocked: held,
      rule: notices,
    });
    actions.push(
      ...(notices.mode === 'enforce' ? notify : notify.map((n) => dryRunSkip('notices', `would ${describe(n)}`))),
    );
  }
  actions.push(...findings.dryRunSkips);
  if (check?.eligible)
    actions.push(
      dryRunSkip('sweep', `would delete: expired ${check.expiresOn}, final notice sent ${check.finalNoticeSentAt}`),
    );
  else if (check) actions.push({ type: 'skip', reason: check.reason, detail: check.detail });
  return { ...common, actions };
}

interface RuleContext {
  readonly classified: ClassificationResult;
  readonly owner: OwnerAttribution;
  readonly expiry: ReturnType<typeof decideExpiry>;
  readonly policy: Policy;
  readonly findings: Findings;
  readonly drillClientAddresses: readonly { readonly start: string; readonly end: string }[];
}

/** Evaluates one tag or network rule into the findings; dry-run mode keeps the violations and reports the rest as skips. */
function applyRule(rule: Rule, server: Server, ctx: RuleContext): void {
  let found: RuleFindings;
  switch (rule.type) {
    case 'required-tags':
      found = requiredTags(rule, server, ctx);
      break;
    case 'stamp-lineage':
      found = stampLineage(server, ctx);
      break;
    case 'expiry':
      found = expiryFindings(ctx);
      break;
    case 'replace-inherited-ownership':
      found = replaceInherited(rule, server, ctx);
      break;
    case 'network-firewall':
      found = networkFirewall(rule, server, ctx);
      break;
    case 'network-subnet':
      found = networkSubnet(rule, server);
      break;
    case 'notices':
    case 'sweep':
      // Decided after the tag writes are known (they can move the expiry).
      return;
  }
  if (rule.type === 'network-firewall' || rule.type === 'network-subnet')
    found = withinNetworkCapability(found, server);
  const f = ctx.findings;
  f.violations.push(...found.violations);
  f.ownerNeeded.push(...found.ownerNeeded);
  if (rule.mode === 'enforce') {
    f.tagWrites.push(...found.tagWrites);
    f.remediations.push(...found.actions);
    if (found.unremediable.length > 0 && 'quarantine' in rule && rule.quarantine)
      f.quarantine.push(`quarantine (${rule.type}): ${found.unremediable.join('; ')}`);
    return;
  }
  // Notes such as "firewall rules not read" are facts in either mode, not something dry-run mode holds back.
  f.dryRunSkips.push(...found.actions.filter((a) => a.type === 'skip'));
  const would = [
    ...found.tagWrites.map((w) => `set tag ${w.key}=${w.value}`),
    ...found.actions.filter((a) => a.type !== 'skip').map(describe),
    ...(found.unremediable.length > 0 && 'quarantine' in rule && rule.quarantine
      ? ['stop the server (quarantine)']
      : []),
  ];
  if (would.length > 0) f.dryRunSkips.push(dryRunSkip(rule.type, `would ${would.join('; ')}`));
}

interface RuleFindings {
  violations: Violation[];
  tagWrites: { key: string; value: string; reason: string }[];
  actions: PlanAction[];
  ownerNeeded: string[];
  /** Violations the warden cannot fix (quarantine applies). */
  unremediable: string[];
}

const none = (): RuleFindings => ({ violations: [], tagWrites: [], actions: [], ownerNeeded: [], unremediable: [] });

function requiredTags(rule: RuleOf<'required-tags'>, server: Server, ctx: RuleContext): RuleFindings {
  const out = none();
  const k = ctx.policy.tagKeys;
  for (const requirement of rule.require) {
    switch (requirement) {
      case 'owner':
        if (!getNonEmptyTag(server.tags, k.owner)) {
          out.violations.push({
            rule: rule.type,
            subject: { kind: 'tag', name: k.owner },
            detail: `missing ${k.owner} tag`,
          });
          out.tagWrites.push({
            key: k.owner,
            value: ctx.owner.owner,
            reason: `${k.owner} from ${ctx.owner.ownerSource}`,
          });
        }
        break;
      case 'incident-or-purpose':
        if (!getNonEmptyTag(server.tags, k.incident) && !getNonEmptyTag(server.tags, k.purpose)) {
          out.violations.push({
            rule: rule.type,
            subject: { kind: 'tag', name: `${k.incident} or ${k.purpose}` },
            detail: `missing ${k.incident} or ${k.purpose} tag`,
          });
          out.ownerNeeded.push(`add an ${k.incident} or ${k.purpose} tag saying why the clone exists`);
        }
        break;
      case 'expires-on':
        if (!getNonEmptyTag(server.tags, k.expiresOn)) {
          const stamped = ruleOf(ctx.policy, 'expiry', server.engine)?.mode === 'enforce';
          out.violations.push({
            rule: rule.type,
            subject: { kind: 'tag', name: k.expiresOn },
            detail: `missing ${k.expiresOn} tag${stamped ? ' (a default is stamped)' : ''}`,
          });
          if (!stamped) out.ownerNeeded.push(`add an ${k.expiresOn} tag (ISO 8601 UTC date)`);
        }
        break;
    }
  }
  return out;
}

function stampLineage(server: Server, ctx: RuleContext): RuleFindings {
  const out = none();
  const k = ctx.policy.tagKeys;
  const { lineage } = ctx.classified;
  const stamp = (key: string, value: string | undefined, what: string) => {
    if (value && !getNonEmptyTag(server.tags, key)) out.tagWrites.push({ key, value, reason: `lineage: ${what}` });
  };
  stamp(k.restoredFrom, lineage.sourceServerId, 'restore source');
  stamp(k.restorePointUtc, lineage.restorePointUtc, 'UTC restore point');
  stamp(k.restoredBy, lineage.restoredBy, 'restoring principal');
  return out;
}

function expiryFindings(ctx: RuleContext): RuleFindings {
  const out = none();
  const { expiry } = ctx;
  if (expiry.violation) out.violations.push(expiry.violation);
  if (expiry.ownerNeeded) out.ownerNeeded.push(expiry.ownerNeeded);
  if (expiry.write)
    out.tagWrites.push({
      key: ctx.policy.tagKeys.expiresOn,
      value: expiry.write,
      reason: expiry.writeReason ?? 'expiry',
    });
  return out;
}

function replaceInherited(rule: RuleOf<'replace-inherited-ownership'>, server: Server, ctx: RuleContext): RuleFindings {
  const out = none();
  const k = ctx.policy.tagKeys;
  const inherited = ctx.owner.inheritedOwnerTag;
  if (inherited !== undefined) {
    out.violations.push({
      rule: rule.type,
      subject: { kind: 'tag', name: k.owner },
      detail: `${k.owner} tag "${inherited}" is inherited from the source`,
    });
    out.tagWrites.push({
      key: `${rule.sourceKeyPrefix}${k.owner}`,
      value: inherited,
      reason: `keep the source's ${k.owner}`,
    });
    out.tagWrites.push({ key: k.owner, value: ctx.owner.owner, reason: `${k.owner} from ${ctx.owner.ownerSource}` });
  }
  const source = ctx.classified.source;
  for (const key of Object.keys(rule.alsoReplace).sort()) {
    const cloneValue = rule.alsoReplace[key]!;
    const value = getNonEmptyTag(server.tags, key);
    const sourceValue = source
      ? getNonEmptyTag(source.tags, key)
      : getNonEmptyTag(server.tags, `${rule.sourceKeyPrefix}${key}`);
    if (value === undefined || sourceValue === undefined || value !== sourceValue || value === cloneValue) continue;
    out.violations.push({
      rule: rule.type,
      subject: { kind: 'tag', name: key },
      detail: `${key} tag "${value}" is inherited from the source`,
    });
    out.tagWrites.push({ key: `${rule.sourceKeyPrefix}${key}`, value, reason: `keep the source's ${key}` });
    out.tagWrites.push({ key, value: cloneValue, reason: `${key} of a clone` });
  }
  return out;
}

function networkFirewall(
  rule: RuleOf<'network-firewall'>,
  server: Server,
  ctx: Pick<RuleContext, 'policy' | 'drillClientAddresses'>,
): RuleFindings {
  const out = none();
  // VNet-integrated servers have no public endpoint and no firewall rules; the subnet rule covers them.
  if (server.delegatedSubnetId || server.publicNetworkAccess !== 'Enabled') return out;
  if (rule.publicAccess === 'disabled') {
    out.violations.push({
      rule: rule.type,
      subject: { kind: 'public-network-access' },
      detail: 'public network access is enabled',
    });
    // Azure accepts a PATCH of a stopped server, then fails it (UpsertServerManagementOperationUnsupportedForStoppedServer).
    out.actions.push(
      isStopped(server)
        ? {
            type: 'skip',
            reason: 'server-stopped',
            detail: `public network access is disabled once ${server.name} runs again (Azure refuses to change a stopped server)`,
          }
        : { type: 'disable-public-access', reason: 'policy requires public network access disabled' },
    );
  }
  if (server.firewallRules === undefined) {
    out.actions.push({
      type: 'skip',
      reason: 'firewall-rules-not-read',
      detail: 'firewall rules were not read; they are checked on the next read',
    });
    return out;
  }
  const rules = [...server.firewallRules].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const fw of rules) {
    const problem = firewallRuleProblem(fw.startIpAddress, fw.endIpAddress, rule.allowedRanges);
    // A drill's temporary rule for the app on its own clone: the drill removes it after validation (or with the clone).
    if (!problem || isDrillAppRule(server, fw, ctx.policy.tagKeys.purpose, ctx.drillClientAddresses)) continue;
    out.violations.push({
      rule: rule.type,
      subject: { kind: 'firewall-rule', name: fw.name },
      detail: `firewall rule "${fw.name}" ${problem}`,
    });
    out.actions.push({
      type: 'delete-firewall-rule',
      rule: fw.name,
      startIpAddress: fw.startIpAddress,
      endIpAddress: fw.endIpAddress,
      reason: problem,
    });
  }
  return out;
}

function networkSubnet(rule: RuleOf<'network-subnet'>, server: Server): RuleFindings {
  const out = none();
  if (!server.delegatedSubnetId || subnetAllowed(server.delegatedSubnetId, rule.allowedSubnets)) return out;
  const detail = `in subnet ${server.delegatedSubnetId}, which is not allow-listed`;
  out.violations.push({ rule: rule.type, subject: { kind: 'subnet', name: server.delegatedSubnetId }, detail });
  out.unremediable.push(detail);
  out.ownerNeeded.push('restore the clone into an allow-listed subnet (a server cannot change subnet)');
  return out;
}

/**
 * Keeps the network findings to what the engine lets the warden change (`ENGINE_SPECS[engine].networkActions`): an
 * engine whose network is report-only (a parent resource shared with production owns it) gets its violations
 * reported and every change turned into a skip that says why; nothing there is quarantined either.
 */
function withinNetworkCapability(found: RuleFindings, server: Server): RuleFindings {
  const spec = ENGINE_SPECS[server.engine];
  const parent = parentOf(server);
  // The network of a resource under a parent is the parent's: each finding says whose it is, and only people can act.
  const shared = spec.networkPolicy === 'report-only' && parent !== undefined && found.violations.length > 0;
  return {
    ...found,
    violations: shared
      ? found.violations.map((v) => ({
          ...v,
          detail: `${v.detail} (on ${parent.label} ${parent.name}, shared with production: reported, never changed)`,
        }))
      : found.violations,
    ownerNeeded: shared
      ? [
          ...found.ownerNeeded,
          `the copy is reachable through ${parent.label} ${parent.name}, which the warden never changes: ask its owners to restrict it, or delete the copy when done`,
        ]
      : found.ownerNeeded,
    actions: networkActionsFor(found.actions, spec),
    unremediable: spec.networkActions.includes('stop') ? found.unremediable : [],
  };
}

/** The parent resource that owns a governed resource's network (a SQL database's logical server); undefined for flexible servers. */
function parentOf(server: Server): { label: string; name: string; id: string } | undefined {
  const spec = ENGINE_SPECS[server.engine];
  const ref = parseServerId(server.id);
  const parent = ref?.parents?.at(-1);
  if (!spec.parent || !ref || !parent) return undefined;
  return { label: spec.parent.label, name: parent.name, id: server.id.replace(/\/[^/]+\/[^/]+$/, '') };
}

/**
 * What exposes a resource whose network belongs to a parent (a SQL database's logical server): the parent's public
 * access and firewall rules, reported in the plan and notices, never changed. Undefined for flexible servers.
 * @example exposureOf(sqlCopy) // { via: 'logical server', parentId: '/subscriptions/…/servers/sql-payments', publicNetworkAccess: 'Enabled', firewallRules: [{ name: 'office', … }] }
 */
export function exposureOf(server: Server): Exposure | undefined {
  const parent = parentOf(server);
  if (!parent) return undefined;
  return {
    via: parent.label,
    parentId: parent.id,
    ...(server.publicNetworkAccess ? { publicNetworkAccess: server.publicNetworkAccess } : {}),
    ...(server.firewallRules ? { firewallRules: server.firewallRules.map((r) => ({ ...r })) } : {}),
  };
}

/**
 * An exposure in words, for the plan and the notices: who owns the network and why the warden leaves it alone, public
 * access, and each firewall rule (with what makes it an open door).
 * @example describeExposure(e) // { summary: 'logical server sql-shop, shared with production: public network access Enabled', rules: ['firewall rule AllowAllWindowsAzureIps 0.0.0.0-0.0.0.0: allows every Azure service …'], why: 'reported, never changed: …' }
 */
export function describeExposure(e: Exposure): { summary: string; rules: string[]; why: string } {
  const parent = e.parentId.split('/').pop() ?? e.parentId;
  const rules =
    e.firewallRules === undefined
      ? ['firewall rules not read']
      : e.firewallRules.length === 0
        ? ['no firewall rules']
        : e.firewallRules.map((r) => {
            const open = openDoor(r);
            return `firewall rule ${r.name} ${r.startIpAddress}-${r.endIpAddress}${open ? `: ${open}` : ''}`;
          });
  return {
    summary: `${e.via} ${parent}, shared with production: public network access ${e.publicNetworkAccess ?? 'unknown'}`,
    rules,
    why: `reported, never changed: pitr-warden never modifies a ${e.via}, which is shared with production; only its owners can restrict it`,
  };
}

/** What the two rules that are open doors whatever the policy allows (every Azure tenant, the whole internet) open. */
function openDoor(r: FirewallRule): string | undefined {
  if (r.startIpAddress.trim() !== '0.0.0.0') return undefined;
  if (r.endIpAddress.trim() === '0.0.0.0') return firewallRuleProblem(r.startIpAddress, r.endIpAddress, []);
  return r.endIpAddress.trim() === '255.255.255.255' ? 'opens it to the whole internet' : undefined;
}

/**
 * The network actions an engine lets the warden take; the others become `network-report-only` skips saying why.
 * @example networkActionsFor([{ type: 'delete-firewall-rule', … }], { …, networkActions: [] }) // [{ type: 'skip', reason: 'network-report-only', detail: 'delete firewall rule "open" (…): the network of a SQL database belongs to its logical server, …' }]
 */
export function networkActionsFor(
  actions: readonly PlanAction[],
  spec: Pick<EngineSpec, 'label' | 'parent' | 'networkActions'>,
): PlanAction[] {
  const allowed = new Set<string>(spec.networkActions);
  const why = `the network of a ${spec.label} belongs to its ${spec.parent?.label ?? 'parent resource'}, shared with production: reported, never changed`;
  return actions.map((a): PlanAction =>
    a.type === 'skip' || allowed.has(a.type)
      ? a
      : { type: 'skip', reason: 'network-report-only', detail: `${describe(a)}: ${why}` },
  );
}

/** Stop a clone with an unremediable violation once (a stopped or stopping server needs no second stop). */
function quarantine(server: Server, reasons: readonly string[]): PlanAction[] {
  if (reasons.length === 0) return [];
  if (isStopped(server)) return [{ type: 'skip', reason: 'already-stopped', detail: reasons.join('; ') }];
  return [{ type: 'stop-server', reason: reasons.join('; ') }];
}

/** Stopped or on its way there: Azure refuses configuration changes (PATCH) of such a server. */
function isStopped(server: Server): boolean {
  const state = server.state?.toLowerCase();
  return state === 'stopped' || state === 'stopping';
}

/** One Merge with every change; a result over Azure's 50-tag limit is a violation and no write. */
function tagActionFor(server: Server, findings: Findings): PlanAction | undefined {
  const wanted: Record<string, string> = {};
  const reasons: string[] = [];
  for (const write of findings.tagWrites) {
    const existing = Object.keys(wanted).find((k) => k.toLowerCase() === write.key.toLowerCase());
    wanted[existing ?? write.key] = write.value;
    reasons.push(`${write.key}: ${write.reason}`);
  }
  const set = tagChanges(server.tags, wanted);
  if (Object.keys(set).length === 0) return undefined;
  const total = Object.keys(mergeTags(server.tags, set)).length;
  if (total > AZURE_MAX_TAGS) {
    const detail = `writing ${Object.keys(set).join(', ')} would give ${total} tags, over Azure's limit of ${AZURE_MAX_TAGS}`;
    findings.violations.push({ rule: 'tag-limit', subject: { kind: 'tag-count' }, detail });
    findings.ownerNeeded.push(`remove tags so the warden can write ${Object.keys(set).join(', ')}`);
    return { type: 'skip', reason: 'tag-limit', detail };
  }
  const relevant = reasons.filter((r) =>
    Object.keys(set).some((k) => r.toLowerCase().startsWith(`${k.toLowerCase()}:`)),
  );
  return { type: 'tag', set: sortedRecord(set), reason: relevant.join('; ') };
}

function noticesFor(args: {
  owner: OwnerAttribution;
  findings: Findings;
  history: readonly NoticeRecord[];
  now: Date;
  effectiveExpiry: Date | undefined;
  blocked: boolean;
  rule: RuleOf<'notices'>;
}): PlanAction[] {
  const { owner, findings, history } = args;
  const to = { to: owner.mailTo, toSource: owner.mailToSource, ...(owner.mailNote ? { note: owner.mailNote } : {}) };
  const route =
    owner.mailToSource === 'fallback-domain-not-allowed' ? `; ${owner.reasons.at(-1) ?? 'owner not mailable'}` : '';
  const out: PlanAction[] = [];
  const announced = wasSent(history, 'new-clone');
  if (!announced) {
    const found =
      findings.violations.length === 0
        ? 'no violations'
        : `${findings.violations.length} violation(s): ${findings.violations.map((v) => v.detail).join('; ')}`;
    out.push({ type: 'notify', stage: 'new-clone', ...to, reason: `first governed; ${found}${route}` });
  }
  if (findings.ownerNeeded.length > 0 && !wasSent(history, 'noncompliant')) {
    out.push({
      type: 'notify',
      stage: 'noncompliant',
      ...to,
      reason: `owner must: ${findings.ownerNeeded.join('; ')}${route}`,
    });
  }
  // A held or locked clone is never deleted: no countdown to announce. The countdown starts once the owner heard of the
  // clone: never a reminder or final notice in the same digest as the new-clone notice (late discovery included).
  if (args.effectiveExpiry && !args.blocked && announced) {
    const due = dueExpiryNotice(args.effectiveExpiry, args.now, history, args.rule);
    if (due?.stage === 'reminder') {
      out.push({
        type: 'notify',
        stage: 'reminder',
        ...to,
        leadDays: due.leadDays,
        reason: `expires ${formatUtc(args.effectiveExpiry)}, within ${due.leadDays} day(s)${route}`,
      });
    } else if (due?.stage === 'final-notice') {
      out.push({
        type: 'notify',
        stage: 'final-notice',
        ...to,
        deleteAfter: due.deleteAfter,
        reason: `expired ${formatUtc(args.effectiveExpiry)}; deletion not before ${due.deleteAfter}${route}`,
      });
    }
  }
  return out;
}

/**
 * A promoted server left the clone lifecycle for good: no expiry, reminders, deletion or clone policy. The warden only
 * removes its ExpiresOn tag (the lineage tags stay as history).
 */
function planPromoted(
  server: Server,
  base: Omit<ServerPlan, 'expiresOn' | 'violations' | 'actions'>,
  classified: ClassificationResult,
  ctx: ServerContext,
): ServerPlan {
  const promoted = classified.promoted!;
  const key = ctx.input.policy.tagKeys.expiresOn;
  const found = Object.keys(server.tags).find((k) => k.toLowerCase() === key.toLowerCase());
  const why = `promoted by ${promoted.by} at ${promoted.at}: ${promoted.reason}`;
  const actions: PlanAction[] = [];
  if (found !== undefined)
    actions.push({
      type: 'remove-tags',
      tags: { [found]: server.tags[found]! },
      reason: `${why}; a service has no expiry`,
    });
  actions.push({ type: 'skip', reason: 'promoted', detail: `${why}; no expiry, notices, deletion or clone policy` });
  const owner = ctx.record?.owner;
  return {
    ...base,
    promoted: true,
    ...(owner ? { owner, ...(ctx.record?.ownerSource ? { ownerSource: ctx.record.ownerSource } : {}) } : {}),
    expiresOn: null,
    violations: [],
    actions,
  };
}

/**
 * The gate: only proven clones are modified. Any modifying action on a server without proof becomes a skip that says
 * what would be done once it is confirmed; owner notices are not sent (an owner of an unproven server is never told it
 * will be deleted); the server is put on the review list with the commands to confirm or dismiss it.
 */
export function gate(plan: ServerPlan, confirmed?: ServerPlan): ServerPlan {
  if (mayModify(plan.proof) || plan.proof.level === 'none') return plan;
  const actions: PlanAction[] = [];
  const held: string[] = [];
  for (const action of plan.actions) {
    if (isModifying(action) || action.type === 'notify') held.push(describe(action));
    else actions.push(action);
  }
  const wouldDo = confirmed
    ? confirmed.actions.filter((a) => isModifying(a) || a.type === 'notify').map(describe)
    : held;
  const commands = reviewCommands(plan.name);
  const contradictions =
    plan.proof.contradictions.length > 0
      ? `; the claim contradicts itself: ${plan.proof.contradictions.join('; ')}`
      : '';
  return {
    ...plan,
    onceConfirmed: wouldDo,
    actions: [
      {
        type: 'skip',
        reason: 'unproven',
        detail: `${plan.proof.level}, not proven${contradictions}; nothing is changed until an operator confirms it (${commands.confirm}) or dismisses it (${commands.dismiss})${wouldDo.length > 0 ? `; once confirmed: ${wouldDo.join('; ')}` : ''}`,
      },
      ...actions,
    ],
  };
}

/** A server the inventory knows but that is not live: the deleted notice, once, for a deleted clone. */
function planGone(
  key: string,
  record: InventoryRecord,
  history: readonly NoticeRecord[],
  input: PlanInput,
): ServerPlan {
  const base = {
    key,
    engine: record.engine,
    name: record.name,
    id: record.id,
    subscriptionId: record.subscriptionId,
    resourceGroup: record.resourceGroup,
    classification: record.classification,
    classificationEvidence: [...record.classificationEvidence],
    proof: proofOfRecord(record),
    ...(record.decisions && record.decisions.length > 0 ? { decisions: record.decisions } : {}),
    lineage: record.lineage,
    ...(record.owner ? { owner: record.owner } : {}),
    ...(record.ownerSource ? { ownerSource: record.ownerSource } : {}),
    expiresOn: record.expiresOn ?? null,
    ...(record.expiresOnTag !== undefined ? { expiresOnTag: record.expiresOnTag } : {}),
    held: record.state === 'held',
    violations: [],
  };
  if (record.classification === 'not-a-clone') return { ...base, actions: [{ type: 'skip', reason: 'not-a-clone' }] };
  const deleted = record.state === 'deleted' || record.deletedAt !== undefined;
  if (!deleted)
    return {
      ...base,
      actions: [{ type: 'skip', reason: 'not-found', detail: 'in the inventory but not among the live servers' }],
    };
  const actions: PlanAction[] = [];
  const notices = ruleOf(input.policy, 'notices', record.engine);
  if (notices && !wasSent(history, 'deleted')) {
    const owner = record.owner ?? input.settings.fallbackMailbox;
    const route = mailRoute(
      owner,
      record.owner ? (record.ownerSource ?? 'tag-at-restore') : 'fallback',
      input.settings,
    );
    const why =
      `deleted ${record.deletedAt ?? ''}${record.deletedBy ? ` by ${record.deletedBy}` : ''}${record.deleteReason ? `: ${record.deleteReason}` : ''}`
        .replace(/ +/g, ' ')
        .trim();
    const notify: PlanAction = {
      type: 'notify',
      stage: 'deleted',
      to: route.to,
      toSource: route.toSource,
      ...(route.note ? { note: route.note } : {}),
      reason: why + (route.reason ? `; ${route.reason}` : ''),
    };
    actions.push(notices.mode === 'enforce' ? notify : dryRunSkip('notices', `would ${describe(notify)}`));
  }
  actions.push({
    type: 'skip',
    reason: 'deleted',
    ...(record.deletedAt ? { detail: `deleted ${record.deletedAt}` } : {}),
  });
  return { ...base, actions };
}

function dryRunSkip(rule: string, detail: string): PlanAction {
  return { type: 'skip', reason: 'dry-run', detail: `${rule}: ${detail}` };
}

/** A one-line description of an action, for dry-run skips and tables. */
export function describe(action: PlanAction): string {
  switch (action.type) {
    case 'tag':
      return `set tags ${Object.entries(action.set)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`;
    case 'delete-firewall-rule':
      return `delete firewall rule "${action.rule}" (${action.startIpAddress}-${action.endIpAddress})`;
    case 'disable-public-access':
      return 'disable public network access';
    case 'stop-server':
      return 'stop the server';
    case 'notify':
      return `notify ${action.to} (${action.stage}${action.leadDays !== undefined ? `, ${action.leadDays} day(s) ahead` : ''}${action.deleteAfter ? `, deletion not before ${action.deleteAfter}` : ''})`;
    case 'delete-server':
      return `delete the server (expired ${action.expiresOn})`;
    case 'remove-tags':
      return `remove tags ${Object.keys(action.tags).join(', ')}`;
    case 'skip':
      return `skip: ${action.reason}${action.detail ? ` (${action.detail})` : ''}`;
  }
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
