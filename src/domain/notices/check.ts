import type { InventoryRecord } from '../model.js';
import { buildDigests } from './digest.js';
import { finopsView } from './finops.js';
import type { NoticeItem } from './item.js';
import { digestView, renderMail, type NoticeTemplates } from './render.js';
import { buildReviewDigest, type ReviewEntry } from './review.js';

const AT = '2026-11-22T09:00:00Z';
const ID =
  '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/sample';

const SAMPLE_ITEM: NoticeItem = {
  stage: 'final-notice',
  recipient: 'owner@example.com',
  server: {
    id: ID,
    key: ID.toLowerCase(),
    name: 'sample',
    subscriptionId: '00000000-0000-4000-8000-000000000001',
    resourceGroup: 'rg',
  },
  cost: { known: false, reason: 'unknown price for Standard_B1ms in eastus: sample' },
  violationsFound: [{ rule: 'network-firewall', detail: 'sample' }],
  violationsFixed: [{ rule: 'network-firewall', detail: 'sample', text: 'Sample was fixed.' }],
  proven: true,
  extend: { expiryTagKey: 'ExpiresOn', maxLifetimeDays: 30 },
  legalHold: { tagKey: 'LegalHold', held: false },
  portalLink: `https://portal.azure.com/#@/resource${ID}`,
};

const SAMPLE_RECORD: InventoryRecord = {
  key: ID.toLowerCase(),
  id: ID,
  engine: 'postgresql-flexible',
  subscriptionId: '00000000-0000-4000-8000-000000000001',
  resourceGroup: 'rg',
  name: 'sample',
  location: 'eastus',
  classification: 'clone',
  classificationEvidence: [],
  lineage: {},
  violations: [],
  compliant: true,
  noticesSent: [],
  state: 'governed',
  tags: {},
  firstSeenAt: AT,
  observedAt: AT,
  updatedAt: AT,
  expiresOnTag: 'soon',
};

/**
 * Renders every template once against sample data so a template that names an unknown placeholder or has an
 * unclosed section fails when it is loaded, not when the first owner is mailed. Throws TemplateError.
 */
export function checkTemplates(templates: NoticeTemplates): void {
  const [digest] = buildDigests([SAMPLE_ITEM], { now: new Date(AT) });
  if (digest) renderMail(templates.ownerDigest, digestView(digest), 'owner-digest');
  const view = finopsView(
    [SAMPLE_RECORD, { ...SAMPLE_RECORD, key: 'x', state: 'deleted', deletedAt: AT }],
    {},
    new Date(AT),
    { maxLifetimeDays: 30, graceDays: 2, legalHoldTagKey: 'LegalHold' },
  );
  renderMail(templates.finopsSummary, view, 'finops-summary');
  const review: ReviewEntry = {
    key: ID.toLowerCase(),
    id: ID,
    name: 'sample',
    engineLabel: 'PostgreSQL flexible server',
    subscriptionId: '00000000-0000-4000-8000-000000000001',
    resourceGroup: 'rg',
    location: 'eastus',
    createdAt: AT,
    proof: 'claimed',
    evidence: ['sample'],
    contradictions: ['sample'],
    onceConfirmed: ['sample'],
    confirm: 'sample',
    dismiss: 'sample',
  };
  buildReviewDigest(
    [review, { ...review, proof: 'suspected', contradictions: [], onceConfirmed: [] }],
    templates.reviewDigest,
    { now: new Date(AT), recipient: 'review@example.com' },
  );
}
