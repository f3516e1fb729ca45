import type { EvidenceEntry, Violation } from '../model.js';
import { displayUtc } from './format.js';
import type { FixedViolation } from './item.js';

/**
 * Words each fixed problem as done, in the past tense, with who fixed it and when, from the evidence of the action that
 * fixed it (the latest one): a deleted firewall rule, disabled public access, a tag written. A problem no action of
 * the evidence explains (the owner fixed it) is resolved as of `checkedAt`, the time it was found gone.
 * @example describeFixes([{ rule: 'network-firewall', detail: 'firewall rule "AllowAll" opens ...' }], evidence, { checkedAt })
 *   // [{ ..., text: 'Firewall rule AllowAll (0.0.0.0-255.255.255.255) was deleted by pitr-warden at 2026-12-05 10:14 UTC.' }]
 */
export function describeFixes(
  fixed: readonly Violation[],
  evidence: readonly EvidenceEntry[],
  options: { readonly checkedAt: string },
): FixedViolation[] {
  const latestFirst = [...evidence].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return fixed.map((v) => ({ ...v, text: fixText(v, latestFirst) ?? resolvedText(v, options.checkedAt) }));
}

const FIREWALL_RULE = /^firewall rule "(.+?)" /;
const INHERITED = / tag "(.*)" is inherited from the source$/;

function fixText(v: Violation, entries: readonly EvidenceEntry[]): string | undefined {
  // The violation's subject says what it is about; rows written before subjects existed are read from their text.
  const ruleName =
    v.subject?.kind === 'firewall-rule' ? v.subject.name : v.subject ? undefined : FIREWALL_RULE.exec(v.detail)?.[1];
  if (ruleName !== undefined) {
    const entry = entries.find((e) => e.kind === 'delete-firewall-rule' && firewallRuleOf(e) === ruleName);
    if (!entry) return undefined;
    const before = entry.before as { startIpAddress?: unknown; endIpAddress?: unknown } | undefined;
    const range =
      typeof before?.startIpAddress === 'string' && typeof before.endIpAddress === 'string'
        ? ` (${before.startIpAddress}-${before.endIpAddress})`
        : '';
    return `Firewall rule ${ruleName}${range} was deleted ${byAt(entry)}.`;
  }
  if (v.subject?.kind === 'public-network-access' || (!v.subject && v.detail === 'public network access is enabled')) {
    const entry = entries.find((e) => e.kind === 'disable-public-access');
    return entry ? `Public network access was disabled ${byAt(entry)}.` : undefined;
  }
  if (v.subject && v.subject.kind !== 'tag') return undefined;
  for (const entry of entries) {
    if (entry.kind !== 'tag') continue;
    const set = tagsOf(entry.after);
    const about = v.subject?.kind === 'tag' && v.subject.name ? v.subject.name : v.detail;
    const key = Object.keys(set).find((k) =>
      new RegExp(`(^|[^A-Za-z0-9_])${escapeRegExp(k)}([^A-Za-z0-9_]|$)`).test(about),
    );
    if (key === undefined) continue;
    const value = set[key]!;
    if (v.detail.startsWith('missing ')) return `The missing ${key} tag was set to ${value} ${byAt(entry)}.`;
    const inherited = INHERITED.exec(v.detail);
    if (inherited) {
      const kept = Object.keys(set).find(
        (k) => k !== key && k.toLowerCase().endsWith(key.toLowerCase()) && set[k] === inherited[1],
      );
      return `The ${key} tag inherited from the source ("${inherited[1]}") was replaced with ${value} ${byAt(entry)}${kept ? ` (the source's value is kept in ${kept})` : ''}.`;
    }
    return `The ${key} tag was set to ${value} ${byAt(entry)} (before: ${v.detail}).`;
  }
  return undefined;
}

function resolvedText(v: Violation, checkedAt: string): string {
  return `${v.detail.charAt(0).toUpperCase()}${v.detail.slice(1)}: resolved, no longer found at ${displayUtc(checkedAt)}.`;
}

function byAt(entry: EvidenceEntry): string {
  return `${entry.actor ? `by ${entry.actor} ` : ''}at ${displayUtc(entry.at)}`;
}

function firewallRuleOf(entry: EvidenceEntry): string | undefined {
  const after = entry.after as { rule?: unknown } | undefined;
  const before = entry.before as { name?: unknown } | undefined;
  return typeof after?.rule === 'string' ? after.rule : typeof before?.name === 'string' ? before.name : undefined;
}

function tagsOf(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
