import { waysOut } from '../proof.js';
import { addDays, formatUtc } from '../tags.js';
import type { DigestEntry } from './digest.js';
import { displayUtc } from './format.js';
import type { NoticeItem } from './item.js';

/** Days a suggested extension reaches beyond the current expiry when the policy sets no maximum lifetime. */
const UNBOUNDED_EXTENSION_DAYS = 7;

/**
 * The extension a notice may advise: an `--until` that `pitr-warden extend` accepts now (operator.ts planExtend: later
 * than now and than the current expiry, at most creation + the maximum lifetime), preferring a plain date; or, when no
 * date qualifies, why the clone cannot be extended.
 * @example extensionAdvice(item, now) // { until: '2026-12-20', latest: '2026-12-20 06:30 UTC' }
 */
export function extensionAdvice(
  item: Pick<NoticeItem, 'expiresOn' | 'extend'>,
  now: Date,
): { until: string; latest?: string } | { whyNot: string } {
  const expires = item.expiresOn ? Date.parse(item.expiresOn) : NaN;
  const floor = Math.max(now.getTime(), Number.isFinite(expires) ? expires : -Infinity);
  const max = item.extend.maxLifetimeDays;
  if (max === undefined) return { until: dayOf(addDays(new Date(floor), UNBOUNDED_EXTENSION_DAYS)) };
  if (!item.extend.latestAllowed)
    return { whyNot: `its creation time is unknown, so its maximum lifetime of ${max} days cannot be checked` };
  const latest = new Date(item.extend.latestAllowed);
  const latestText = displayUtc(latest.toISOString());
  const day = Date.parse(`${dayOf(latest)}T00:00:00Z`);
  if (day > floor) return { until: dayOf(latest), latest: latestText };
  if (latest.getTime() > floor) return { until: formatUtc(latest), latest: latestText };
  if (latest.getTime() <= now.getTime()) return { whyNot: `its maximum lifetime of ${max} days ended ${latestText}` };
  return {
    whyNot: `its expiry is already at or beyond the end of its maximum lifetime of ${max} days (${latestText})`,
  };
}

/** The ways out of the countdown a notice offers the owner of a proven clone, as commands and sentences. */
export function waysOutView(item: NoticeItem, now: Date) {
  const commands = waysOut(item.server.name, item.extend.expiryTagKey);
  const advice = extensionAdvice(item, now);
  const held = item.legalHold.held;
  return {
    offered: item.proven,
    canExtend: 'until' in advice,
    extendUntil: 'until' in advice ? advice.until : '',
    extendLatest: 'until' in advice ? (advice.latest ?? '') : '',
    extendCommand: 'until' in advice ? `pitr-warden extend ${item.server.name} --until ${advice.until}` : '',
    extendWhyNot: 'whyNot' in advice ? advice.whyNot : '',
    promoteCommand: commands.promote,
    holdCommand: held || item.legalHold.lock ? '' : commands.hold,
    heldByTag: held,
    holdReason: item.legalHold.value ?? '',
    releaseCommand: held ? `pitr-warden release ${item.server.name} --reason "..."` : '',
    heldByLock: !held && item.legalHold.lock === true,
  };
}

/** The date that matters most for one clone, worded for a subject line; undefined when there is none (held, no expiry). */
export function datePhrase(entry: DigestEntry): { at: number; text: string; deleted: boolean } | undefined {
  const item = entry.item;
  const has = (stage: string) => entry.stages.some((s) => s.stage === stage);
  const at = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);
  if (has('deleted') && item.deleted)
    return { at: at(item.deleted.at), text: `deleted ${displayUtc(item.deleted.at)}`, deleted: true };
  if (has('final-notice') && Number.isFinite(at(item.deleteAfter)))
    return {
      at: at(item.deleteAfter),
      text: `deleted no earlier than ${displayUtc(item.deleteAfter)}`,
      deleted: false,
    };
  if (item.legalHold.held || item.legalHold.lock || !Number.isFinite(at(item.expiresOn))) return undefined;
  return {
    at: at(item.expiresOn),
    text: `${(item.daysLeft ?? 0) < 0 ? 'expired' : 'expires'} ${displayUtc(item.expiresOn)}`,
    deleted: false,
  };
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
