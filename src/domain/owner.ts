import type { InventoryRecord, Lineage, OwnerSource, RestoreEvidence, Server } from './model.js';
import type { TagKeys } from './policy.js';
import { getNonEmptyTag } from './tags.js';

/** Where owners may be mailed, and who gets everything else. */
export interface MailSettings {
  readonly fallbackMailbox: string;
  /** Mail domains owners may be mailed at (exact domain, case-insensitive); empty: only the fallback is mailed. */
  readonly allowedRecipientDomains: readonly string[];
}

/**
 * What owner attribution looks at.
 * @example attributeOwner({ server, source, lineage, restore, tagKeys: policy.tagKeys, settings })
 */
export interface OwnerContext {
  readonly server: Server;
  /** The source server when known (to tell an inherited Owner tag from one written at restore). */
  readonly source?: Server;
  readonly lineage: Lineage;
  readonly restore?: RestoreEvidence;
  readonly inventory?: InventoryRecord;
  readonly tagKeys: TagKeys;
  /** Prefix under which the warden keeps inherited values (`Source` -> `SourceOwner`). */
  readonly sourceKeyPrefix?: string;
  readonly settings: MailSettings;
}

export interface OwnerAttribution {
  readonly owner: string;
  readonly ownerSource: OwnerSource;
  /** Where notices go: the owner when mailable, the fallback mailbox otherwise. */
  readonly mailTo: string;
  readonly mailToSource: OwnerSource | 'fallback-domain-not-allowed';
  /** Shown in the notice when it goes to the fallback mailbox instead of the owner: why. */
  readonly mailNote?: string;
  /** The clone's Owner tag value when it was copied from the source (it must be replaced, never mailed). */
  readonly inheritedOwnerTag?: string;
  /** The source's Owner, from the source server or the value kept under `SourceOwner`. */
  readonly sourceOwner?: string;
  readonly reasons: string[];
}

const EMAIL = /^[^\s@<>"]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;

/**
 * Who owns a clone, and where its notices go. Precedence: an Owner tag written at a governed restore (it
 * differs from the source's Owner, or the warden's lineage tags show a governed restore) > the restoring
 * principal from the claims (a user's UPN or e-mail; service principals have no mailbox) > the fallback
 * mailbox. An Owner tag equal to the source's Owner is inherited and never the clone's owner. When the
 * source is unknown and there are no lineage tags, an Owner tag cannot be verified and yields to the claims.
 */
export function attributeOwner(context: OwnerContext): OwnerAttribution {
  const { server, tagKeys: keys, settings } = context;
  const reasons: string[] = [];
  const ownerTag = getNonEmptyTag(server.tags, keys.owner);
  const sourceOwner =
    (context.source && getNonEmptyTag(context.source.tags, keys.owner)) ??
    getNonEmptyTag(server.tags, `${context.sourceKeyPrefix ?? 'Source'}${keys.owner}`);
  const hasLineageTags = Boolean(
    getNonEmptyTag(server.tags, keys.restoredFrom) && getNonEmptyTag(server.tags, keys.restorePointUtc),
  );

  let tagOwner: string | undefined;
  let unverifiedTagOwner: string | undefined;
  let inheritedOwnerTag: string | undefined;
  if (ownerTag !== undefined) {
    if (sourceOwner !== undefined && sameAddress(ownerTag, sourceOwner)) {
      inheritedOwnerTag = ownerTag;
      reasons.push(`${keys.owner} tag "${ownerTag}" is inherited from the source: not the clone's owner`);
    } else if (context.source !== undefined || sourceOwner !== undefined || hasLineageTags) {
      tagOwner = ownerTag;
      reasons.push(
        sourceOwner !== undefined
          ? `${keys.owner} tag differs from the source's ("${sourceOwner}"): written at restore`
          : context.source !== undefined
            ? `${keys.owner} tag set although the source has none: written at restore`
            : `${keys.owner} tag on a clone with the warden's lineage tags`,
      );
    } else {
      unverifiedTagOwner = ownerTag;
      reasons.push(`${keys.owner} tag "${ownerTag}" cannot be checked against the source (source unknown)`);
    }
  }

  const claims = claimsOwner(context, reasons);
  let chosen: { owner: string; ownerSource: OwnerSource };
  if (tagOwner !== undefined) chosen = { owner: tagOwner, ownerSource: 'tag-at-restore' };
  else if (claims !== undefined) chosen = { owner: claims, ownerSource: 'claims' };
  else if (unverifiedTagOwner !== undefined) chosen = { owner: unverifiedTagOwner, ownerSource: 'tag-at-restore' };
  else {
    chosen = { owner: settings.fallbackMailbox, ownerSource: 'fallback' };
    reasons.push(`no owner tag written at restore and no restoring user: fallback mailbox ${settings.fallbackMailbox}`);
  }

  // Once the warden wrote the owner it found, the tag carries it; keep the provenance recorded when it was found.
  const recorded = context.inventory;
  if (recorded?.owner && recorded.ownerSource && sameAddress(recorded.owner, chosen.owner))
    chosen = { owner: chosen.owner, ownerSource: recorded.ownerSource };

  // The restoring user may be the source's owner too: then the tag is right and nothing needs replacing.
  if (inheritedOwnerTag !== undefined && sameAddress(inheritedOwnerTag, chosen.owner)) {
    reasons.push(`the ${keys.owner} tag matches the restoring principal: kept`);
    inheritedOwnerTag = undefined;
  }
  const mail = mailRoute(chosen.owner, chosen.ownerSource, settings);
  if (mail.reason) reasons.push(mail.reason);
  return {
    ...chosen,
    mailTo: mail.to,
    mailToSource: mail.toSource,
    ...(mail.note ? { mailNote: mail.note } : {}),
    ...(inheritedOwnerTag !== undefined ? { inheritedOwnerTag } : {}),
    ...(sourceOwner !== undefined ? { sourceOwner } : {}),
    reasons,
  };
}

/**
 * The restoring user's mailbox from the claims (the restore's Activity Log entry or event, or the RestoredBy lineage).
 * ARM's systemData is not asked: Azure returns only createdAt for a flexible server.
 */
function claimsOwner(context: OwnerContext, reasons: string[]): string | undefined {
  const actor = context.restore?.actor;
  if (actor) {
    if (actor.type === 'user' && actor.upn && EMAIL.test(actor.upn)) return actor.upn;
    if (actor.type === 'service-principal')
      reasons.push(
        `restored by service principal ${actor.appId ?? actor.objectId ?? actor.name ?? '(unnamed)'}: no mailbox`,
      );
  }
  const restoredBy = context.lineage.restoredBy;
  if (restoredBy && EMAIL.test(restoredBy)) return restoredBy;
  return undefined;
}

/** Where mail for an owner goes, why not to the owner (`reason`), and the line a notice shows its reader about it (`note`). */
export interface MailRoute {
  readonly to: string;
  readonly toSource: OwnerSource | 'fallback-domain-not-allowed';
  readonly reason?: string;
  readonly note?: string;
}

/**
 * Where mail for an owner goes: the owner when it is an address in an allowed domain, the fallback otherwise.
 * @example mailRoute('eve@gmail.com', 'claims', { fallbackMailbox: 'dba@contoso.com', allowedRecipientDomains: ['contoso.com'] })
 *   // { to: 'dba@contoso.com', toSource: 'fallback-domain-not-allowed', reason: '...' }
 */
export function mailRoute(owner: string, ownerSource: OwnerSource, settings: MailSettings): MailRoute {
  if (ownerSource === 'fallback')
    return {
      to: owner,
      toSource: 'fallback',
      note: `Sent to ${owner}: no owner is known for this clone (no owner tag written at restore, no restoring user)`,
    };
  const domain = EMAIL.exec(owner.trim())?.[1]?.toLowerCase();
  const fallback = (reason: string): MailRoute => ({
    to: settings.fallbackMailbox,
    toSource: 'fallback-domain-not-allowed',
    reason,
    note: `Sent to ${settings.fallbackMailbox}: ${reason}`,
  });
  if (domain === undefined)
    return fallback(`owner "${owner}" is not an e-mail address: notices go to ${settings.fallbackMailbox}`);
  if (!settings.allowedRecipientDomains.some((d) => d.toLowerCase() === domain))
    return fallback(
      `owner domain ${domain} is not an allowed recipient domain: notices go to ${settings.fallbackMailbox}`,
    );
  return { to: owner.trim(), toSource: ownerSource };
}

function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
