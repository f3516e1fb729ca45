import { describe, expect, it } from 'vitest';
import type { InventoryRecord, RestoreEvidence } from '../../src/domain/model.js';
import { attributeOwner, mailRoute } from '../../src/domain/owner.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { armFromServer, serverFromArm } from '../../src/domain/snapshot.js';
import { FALLBACK, lineageTags, PROD_TAGS, server, SETTINGS } from '../fixtures/snapshots/build.js';

const tagKeys = DEFAULT_POLICY.tagKeys;
const prod = server({ name: 'pg-prod', tags: PROD_TAGS });
const restoreBy = (actor: RestoreEvidence['actor']) => ({ actor }) as RestoreEvidence;

describe('owner attribution', () => {
  it('an Owner tag inherited from the source is not the owner; the restoring user from the claims is', () => {
    const clone = server({ name: 'pg-restore', tags: { ...PROD_TAGS } });
    const owner = attributeOwner({
      server: clone,
      source: prod,
      lineage: {},
      restore: restoreBy({ type: 'user', upn: 'alice@contoso.com' }),
      tagKeys,
      settings: SETTINGS,
    });
    expect(owner).toMatchObject({
      owner: 'alice@contoso.com',
      ownerSource: 'claims',
      mailTo: 'alice@contoso.com',
      mailToSource: 'claims',
      inheritedOwnerTag: PROD_TAGS.Owner,
      sourceOwner: PROD_TAGS.Owner,
    });
  });

  it('an Owner tag that differs from the source was written at restore and wins over the claims', () => {
    const clone = server({ name: 'pg-restore', tags: { ...PROD_TAGS, Owner: 'bob@contoso.com' } });
    const owner = attributeOwner({
      server: clone,
      source: prod,
      lineage: {},
      restore: restoreBy({ type: 'user', upn: 'alice@contoso.com' }),
      tagKeys,
      settings: SETTINGS,
    });
    expect(owner).toMatchObject({ owner: 'bob@contoso.com', ownerSource: 'tag-at-restore' });
    expect(owner.inheritedOwnerTag).toBeUndefined();
  });

  it('the warden lineage tags show a governed restore, even with the source unknown', () => {
    const clone = server({
      name: 'pg-restore',
      tags: { ...lineageTags('ops@contoso.com'), owner: 'carol@contoso.com' },
    });
    expect(
      attributeOwner({ server: clone, lineage: { restoredBy: 'ops@contoso.com' }, tagKeys, settings: SETTINGS }),
    ).toMatchObject({ owner: 'carol@contoso.com', ownerSource: 'tag-at-restore' });
  });

  it('the kept SourceOwner value tells an inherited tag when the source is gone', () => {
    const clone = server({ name: 'pg-restore', tags: { Owner: 'lead@contoso.com', SourceOwner: 'LEAD@contoso.com' } });
    expect(attributeOwner({ server: clone, lineage: {}, tagKeys, settings: SETTINGS })).toMatchObject({
      owner: FALLBACK,
      ownerSource: 'fallback',
      inheritedOwnerTag: 'lead@contoso.com',
    });
  });

  it('an inherited Owner tag that names the restoring user is kept, not replaced', () => {
    const clone = server({ name: 'pg-copy', tags: { ...PROD_TAGS } });
    const owner = attributeOwner({
      server: clone,
      source: prod,
      lineage: {},
      restore: restoreBy({ type: 'user', upn: PROD_TAGS.Owner }),
      tagKeys,
      settings: SETTINGS,
    });
    expect(owner).toMatchObject({ owner: PROD_TAGS.Owner, ownerSource: 'claims' });
    expect(owner.inheritedOwnerTag).toBeUndefined();
  });

  it('service principals have no mailbox: fallback, with the reason', () => {
    const clone = server({ name: 'pg-restore', tags: { ...PROD_TAGS } });
    const owner = attributeOwner({
      server: clone,
      source: prod,
      lineage: {},
      restore: restoreBy({ type: 'service-principal', appId: 'app-123' }),
      tagKeys,
      settings: SETTINGS,
    });
    expect(owner).toMatchObject({
      owner: FALLBACK,
      ownerSource: 'fallback',
      mailTo: FALLBACK,
      mailToSource: 'fallback',
    });
    expect(owner.reasons.join('\n')).toContain('service principal app-123: no mailbox');
  });

  it('uses the RestoredBy lineage as claims; ARM systemData (createdAt only in Azure) names nobody', () => {
    const clone = server({ name: 'pg-restore', tags: {} });
    expect(
      attributeOwner({ server: clone, lineage: { restoredBy: 'dave@contoso.com' }, tagKeys, settings: SETTINGS }),
    ).toMatchObject({ owner: 'dave@contoso.com', ownerSource: 'claims' });
    // Even a server object that carries createdBy (as older emulators wrote it) is not attributed from it.
    const read = serverFromArm({
      ...armFromServer(clone),
      systemData: { createdAt: '2026-11-20T08:00:00Z', createdBy: 'erin@contoso.com', createdByType: 'User' },
    });
    expect(read).not.toHaveProperty('createdBy');
    expect(attributeOwner({ server: read, lineage: {}, tagKeys, settings: SETTINGS })).toMatchObject({
      owner: FALLBACK,
      ownerSource: 'fallback',
    });
  });

  it('an owner outside the allowed domains is not mailed: the fallback gets it with the reason', () => {
    const clone = server({ name: 'pg-restore', tags: { ...PROD_TAGS, Owner: 'frank@fabrikam.com' } });
    const owner = attributeOwner({ server: clone, source: prod, lineage: {}, tagKeys, settings: SETTINGS });
    expect(owner).toMatchObject({
      owner: 'frank@fabrikam.com',
      ownerSource: 'tag-at-restore',
      mailTo: FALLBACK,
      mailToSource: 'fallback-domain-not-allowed',
    });
    expect(owner.reasons.at(-1)).toContain('fabrikam.com is not an allowed recipient domain');
    expect(mailRoute('team-payments', 'tag-at-restore', SETTINGS)).toMatchObject({
      to: FALLBACK,
      toSource: 'fallback-domain-not-allowed',
    });
    expect(mailRoute('x@contoso.com', 'claims', { ...SETTINGS, allowedRecipientDomains: [] })).toMatchObject({
      to: FALLBACK,
    });
  });

  it('keeps the provenance recorded when the owner was first found', () => {
    const clone = server({
      name: 'pg-restore',
      tags: { ...PROD_TAGS, Owner: 'alice@contoso.com', SourceOwner: PROD_TAGS.Owner },
    });
    const record = { owner: 'alice@contoso.com', ownerSource: 'claims' } as unknown as InventoryRecord;
    expect(
      attributeOwner({ server: clone, source: prod, lineage: {}, inventory: record, tagKeys, settings: SETTINGS }),
    ).toMatchObject({ owner: 'alice@contoso.com', ownerSource: 'claims' });
  });
});
