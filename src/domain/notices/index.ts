export { buildDigests, type CoveredNotice, type Digest, type DigestEntry } from './digest.js';
export {
  buildFinopsSummary,
  costAvoided,
  finopsView,
  pastExpiryReason,
  type CostsByKey,
  type FinopsOptions,
} from './finops.js';
export { noticeItemFromRecord, portalLink, type NoticeItem, type NoticeItemOptions } from './item.js';
export {
  digestView,
  renderDigest,
  renderMail,
  type MailTemplate,
  type NoticeTemplates,
  type RenderedMail,
} from './render.js';
export { escapeHtml, renderTemplate, TemplateError } from './template.js';
export { checkTemplates } from './check.js';
export { buildReviewDigest, reviewDigestView, reviewEntries, waitsForReview, type ReviewEntry } from './review.js';
