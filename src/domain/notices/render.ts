import type { NoticeStage, Violation } from '../model.js';
import { formatUtc } from '../tags.js';
import { datePhrase, waysOutView } from './advice.js';
import type { Digest, DigestEntry } from './digest.js';
import { daysLeftText, displayUtc, estimateNote, money, totalOf } from './format.js';
import { sameViolation, type FixedViolation } from './item.js';
import { renderTemplate } from './template.js';

/** The three parts of one email template. */
export interface MailTemplate {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Notice templates as loaded from `templates/` (see src/adapters/noticeTemplates.ts). */
export interface NoticeTemplates {
  readonly ownerDigest: MailTemplate;
  readonly finopsSummary: MailTemplate;
  /** The daily review digest to the review mailbox (src/domain/notices/review.ts). */
  readonly reviewDigest: MailTemplate;
}

export interface RenderedMail {
  readonly subject: string;
  readonly plainText: string;
  readonly html: string;
}

/**
 * Renders an owner digest: subject, plain text and HTML, every tag- or name-derived value escaped in HTML.
 * @example const mail = renderDigest(digest, await loadTemplates());
 */
export function renderDigest(digest: Digest, templates: NoticeTemplates): RenderedMail {
  return renderMail(templates.ownerDigest, digestView(digest), 'owner-digest');
}

/** Renders any of the templates against a view (subject on one line, at most 250 characters). */
export function renderMail(template: MailTemplate, view: object, name: string): RenderedMail {
  const subject = renderTemplate(template.subject, view, 'text', `${name}.subject.txt`)
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 250);
  return {
    subject,
    plainText: renderTemplate(template.text, view, 'text', `${name}.txt`),
    html: renderTemplate(template.html, view, 'html', `${name}.html`),
  };
}

const STAGE_WORDS: Readonly<Record<NoticeStage, string>> = {
  'final-notice': 'final notice',
  deleted: 'deleted',
  reminder: 'expiring soon',
  noncompliant: 'non-compliant',
  'new-clone': 'new',
};

/** What the owner-digest templates can use; every key is always present. */
export function digestView(digest: Digest) {
  const counts = new Map<NoticeStage, number>();
  for (const entry of digest.entries) counts.set(entry.item.stage, (counts.get(entry.item.stage) ?? 0) + 1);
  const costs = digest.entries.map((e) => e.item.cost);
  const n = digest.entries.length;
  const now = new Date(digest.generatedAt);
  return {
    subject: subjectOf(digest),
    recipient: digest.recipient,
    generatedAt: displayUtc(digest.generatedAt),
    cloneCount: n,
    clonesWord: n === 1 ? 'clone' : 'clones',
    subscriptionCount: digest.subscriptionIds.length,
    headline: [...counts.entries()].map(([stage, count]) => `${count} ${STAGE_WORDS[stage]}`).join(', '),
    estimateNote: estimateNote(costs.map((c) => c.priceSource)),
    totalPerDay: totalOf(costs, (c) => c.perDay),
    totalToDate: totalOf(costs, (c) => c.toDate),
    hasUnknownCosts: costs.some((c) => !c.known),
    clones: digest.entries.map((entry) => cloneView(entry, now)),
  };
}

/**
 * The subject: the server (or, for several, the count and stages) and the nearest date that matters (a deletion, an
 * expiry), e.g. `pg-orders-fix: final notice, deleted no earlier than 2026-11-24 09:00 UTC` or
 * `Your 3 restore clones: 1 expiring soon, 2 new; nearest: pg-b expires 2026-11-25 00:00 UTC`.
 */
function subjectOf(digest: Digest): string {
  const dated = digest.entries
    .map((entry) => ({ entry, date: datePhrase(entry) }))
    .filter((d) => d.date !== undefined && Number.isFinite(d.date.at));
  const upcoming = dated.filter((d) => !d.date!.deleted).sort((a, b) => a.date!.at - b.date!.at);
  const done = dated.filter((d) => d.date!.deleted).sort((a, b) => b.date!.at - a.date!.at);
  const nearest = upcoming[0] ?? done[0];
  const [only] = digest.entries;
  if (digest.entries.length === 1 && only) {
    // "deleted" is said by the date itself.
    const words = only.stages
      .map((s) => STAGE_WORDS[s.stage])
      .filter((w, i, all) => all.indexOf(w) === i && !(w === 'deleted' && nearest?.date!.deleted));
    return `${only.item.server.name}: ${[...words, ...(nearest ? [nearest.date!.text] : [])].join(', ')}`;
  }
  const counts = new Map<NoticeStage, number>();
  for (const entry of digest.entries) counts.set(entry.item.stage, (counts.get(entry.item.stage) ?? 0) + 1);
  const headline = [...counts.entries()].map(([stage, count]) => `${count} ${STAGE_WORDS[stage]}`).join(', ');
  return `Your ${digest.entries.length} restore clones: ${headline}${nearest ? `; nearest: ${nearest.entry.item.server.name} ${nearest.date!.text}` : ''}`;
}

function cloneView(entry: DigestEntry, now: Date) {
  const item = entry.item;
  const cost = item.cost;
  const latest = item.extend.latestAllowed ? new Date(item.extend.latestAllowed) : undefined;
  const rawExpiry = item.expiresOnRaw?.trim() ?? '';
  const has = (stage: NoticeStage): boolean => entry.stages.some((s) => s.stage === stage);
  const deleted = has('deleted');
  return {
    name: item.server.name,
    id: item.server.id,
    subscriptionId: item.server.subscriptionId,
    resourceGroup: item.server.resourceGroup,
    location: item.server.location ?? '',
    recipientNote: item.recipientNote ?? '',
    stages: entry.stages
      .map((s) =>
        s.stage === 'reminder' && s.leadDays !== undefined ? `reminder (${s.leadDays} days before expiry)` : s.stage,
      )
      .join(', '),
    isFinal: has('final-notice'),
    isDeleted: deleted,
    isReminder: has('reminder') && !deleted,
    isNoncompliant: has('noncompliant') && !deleted,
    isNew: has('new-clone') && !deleted,
    sourceServer: item.sourceServer ?? '',
    restorePointUtc: displayUtc(item.restorePointUtc),
    incidentOrPurpose: item.incidentOrPurpose ?? '',
    expiresOn: displayUtc(item.expiresOn),
    expiryKnown: item.expiresOn !== undefined,
    expiryUnparseable: item.expiresOn === undefined && rawExpiry !== '' ? rawExpiry : '',
    expiryMissing: item.expiresOn === undefined && rawExpiry === '',
    daysLeft: deleted ? '' : daysLeftText(item.daysLeft),
    costKnown: cost.known,
    costPerDay: cost.known ? money(cost.perDay, cost.currency) : '',
    costPerMonth: cost.known ? money(cost.perMonth, cost.currency) : '',
    costToDate: cost.known && cost.toDate !== undefined ? money(cost.toDate, cost.currency) : '',
    costUnknownReason: cost.known ? '' : cost.reason,
    state: deleted ? 'Deleted' : (item.serverState ?? 'unknown'),
    held: item.legalHold.held,
    violationsFound: item.violationsFound.map(violationView),
    violationsFixed: item.violationsFixed.map(fixedView),
    violationsOpen: item.violationsFound
      .filter((v) => !item.violationsFixed.some((f) => sameViolation(f, v)))
      .map(violationView),
    deleteAfter: displayUtc(item.deleteAfter),
    deletedAt: displayUtc(item.deleted?.at),
    deletedBy: item.deleted?.by ?? '',
    deleteReason: item.deleted?.reason ?? '',
    extendTag: item.extend.expiryTagKey,
    maxLifetimeDays: item.extend.maxLifetimeDays,
    latestAllowedUtc: latest ? formatUtc(latest) : '',
    latestAllowedDay: latest ? latest.toISOString().slice(0, 10) : '',
    legalHoldTag: item.legalHold.tagKey,
    portalLink: item.portalLink,
    // Only for a clone whose network belongs to a parent shared with production (a SQL database): '' hides the lines.
    exposure: item.exposure
      ? { summary: item.exposure.summary, rules: [...item.exposure.rules], why: item.exposure.why }
      : '',
    waysOut: waysOutView(item, now),
  };
}

function fixedView(v: FixedViolation) {
  return { rule: v.rule, detail: v.detail, text: v.text ?? `${v.rule}: ${v.detail} (fixed)` };
}

function violationView(v: Violation) {
  return { rule: v.rule, detail: v.detail };
}
