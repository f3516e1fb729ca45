import { describe, expect, it } from 'vitest';
import { classify, inheritedTagSet } from '../../src/domain/classify.js';
import type { InventoryRecord, RestoreEvidence } from '../../src/domain/model.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { lineageTags, PROD_TAGS, server, serverIdOf } from '../fixtures/snapshots/build.js';

const tagKeys = DEFAULT_POLICY.tagKeys;
const prod = server({ name: 'pg-prod', tags: PROD_TAGS });

function restore(overrides: Partial<RestoreEvidence> = {}): RestoreEvidence {
  return {
    key: 'evt-1',
    serverId: serverIdOf('pg-restore').toUpperCase(),
    createMode: 'PointInTimeRestore',
    sourceServerId: serverIdOf('pg-prod'),
    pointInTimeUtc: '2026-11-29T07:45:00Z',
    actor: { type: 'user', upn: 'alice@contoso.com' },
    at: '2026-11-29T08:00:05Z',
    correlationId: 'corr-1',
    operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
    status: 'Succeeded',
    ...overrides,
  };
}

describe('classify', () => {
  it('clone from the warden lineage tags, with lineage and evidence', () => {
    const clone = server({
      name: 'pg-restore',
      createdAt: '2026-11-29T08:00:00Z',
      tags: { ...PROD_TAGS, ...lineageTags() },
    });
    const result = classify(clone, { servers: [prod, clone], tagKeys });
    expect(result.classification).toBe('clone');
    expect(result.lineage).toEqual({
      sourceServerId: serverIdOf('pg-prod'),
      restorePointUtc: '2026-11-29T07:45:00Z',
      restoredBy: 'alice@contoso.com',
    });
    expect(result.source?.key).toBe(prod.key);
    expect(result.evidence[0]).toMatch(/^tags: RestoredFrom=.*RestorePointUtc=2026-11-29T07:45:00Z/);
  });

  it('clone from Activity Log restore evidence, ids in any casing; GeoRestore and ReviveDropped too', () => {
    const clone = server({ name: 'pg-restore', createdAt: '2026-11-29T08:00:00Z', tags: {} });
    for (const createMode of ['PointInTimeRestore', 'georestore', 'ReviveDropped']) {
      const result = classify(clone, { servers: [prod, clone], restoreEvidence: [restore({ createMode })], tagKeys });
      expect(result.classification).toBe('clone');
      expect(result.lineage).toEqual({
        sourceServerId: serverIdOf('pg-prod'),
        restorePointUtc: '2026-11-29T07:45:00Z',
        restoredBy: 'alice@contoso.com',
        correlationId: 'corr-1',
      });
      expect(result.restore?.key).toBe('evt-1');
      expect(result.evidence[0]).toContain(`activity log: ${createMode} of ${serverIdOf('pg-prod')}`);
    }
  });

  it('ignores failed restores, restores without a source, replicas and other servers', () => {
    const clone = server({ name: 'pg-restore', login: 'other', tags: {} });
    const evidence = [
      restore({ status: 'Failed' }),
      restore({ sourceServerId: undefined, key: 'e2' }),
      restore({ createMode: 'Replica', key: 'e3' }),
      restore({ serverId: serverIdOf('pg-elsewhere'), key: 'e4' }),
    ];
    expect(classify(clone, { servers: [prod, clone], restoreEvidence: evidence, tagKeys }).classification).toBe(
      'not-a-clone',
    );
  });

  it('probable clone: same login, version, location, storage and inherited tags as an earlier server', () => {
    const twin = server({
      name: 'pg-copy',
      createdAt: '2026-11-20T10:00:00Z',
      tags: { ...PROD_TAGS, Incident: 'INC-1', ExpiresOn: '2026-12-01' },
    });
    const result = classify(twin, { servers: [prod, twin], tagKeys });
    expect(result.classification).toBe('probable-clone');
    expect(result.source?.key).toBe(prod.key);
    expect(result.evidence[0]).toContain(`matches ${prod.id} created earlier`);
    // The earlier server is not a clone of the later one.
    expect(classify(prod, { servers: [prod, twin], tagKeys }).classification).toBe('not-a-clone');
  });

  it('finds the earliest twin and the source among many servers, the same as a search of the estate would', () => {
    // 300 servers of other logins, two twins of prod (the earlier one is the match), and a clone whose tags name prod.
    const others = Array.from({ length: 300 }, (_, i) =>
      server({ name: `pg-app-${i}`, login: `app${i}`, createdAt: '2026-11-01T00:00:00Z', tags: PROD_TAGS }),
    );
    const early = server({ name: 'pg-copy-a', createdAt: '2026-11-10T10:00:00Z', tags: PROD_TAGS });
    const late = server({ name: 'pg-copy-b', createdAt: '2026-11-20T10:00:00Z', tags: PROD_TAGS });
    const clone = server({
      name: 'pg-restore',
      createdAt: '2026-11-29T08:00:00Z',
      tags: { ...PROD_TAGS, ...lineageTags() },
    });
    const estate = [...others, late, clone, early, prod];
    expect(classify(late, { servers: estate, tagKeys }).source?.key).toBe(prod.key);
    expect(classify(early, { servers: estate, tagKeys }).source?.key).toBe(prod.key);
    expect(classify(clone, { servers: estate, tagKeys }).source?.key).toBe(prod.key);
    expect(classify(others[7]!, { servers: estate, tagKeys }).classification).toBe('not-a-clone');
    // An array that grew since it was last searched is searched as it is now.
    const growing = [late];
    expect(classify(late, { servers: growing, tagKeys }).classification).toBe('not-a-clone');
    growing.push(early);
    expect(classify(late, { servers: growing, tagKeys }).source?.key).toBe(early.key);
  });

  it.each([
    ['another login', { login: 'someone' }],
    ['another version', { version: '16' }],
    ['another location', { location: 'northeurope' }],
    ['another storage size', { storageSizeGb: 256 }],
    ['other tags', { tags: { ...PROD_TAGS, Environment: 'dev' } }],
    ['another subscription', { sub: '00000000-0000-4000-8000-000000000002' }],
    ['created before the other', { createdAt: '2025-01-01T00:00:00Z' }],
  ])('not a clone with %s', (_label, change) => {
    const other = server({ name: 'pg-copy', createdAt: '2026-11-20T10:00:00Z', tags: PROD_TAGS, ...change });
    expect(classify(other, { servers: [prod, other], tagKeys }).classification).toBe('not-a-clone');
  });

  it('recognises the inherited tags after the warden moved them under the source prefix', () => {
    const governed = { ...PROD_TAGS, Owner: 'alice@contoso.com', SourceOwner: PROD_TAGS.Owner };
    expect(inheritedTagSet(governed, { tagKeys })).toBe(inheritedTagSet(PROD_TAGS, { tagKeys }));
    expect(inheritedTagSet({ owner: 'x', ExpiresOn: '2026-01-01' }, { tagKeys })).toBe(
      inheritedTagSet({ Owner: 'x' }, { tagKeys }),
    );
  });

  it('never lowers a classification recorded in the inventory', () => {
    const clone = server({ name: 'pg-restore', login: 'changed', tags: { Owner: 'alice@contoso.com' } });
    const record = {
      classification: 'clone',
      classificationEvidence: ['activity log: PointInTimeRestore'],
      firstSeenAt: '2026-11-29T08:00:10Z',
      lineage: { sourceServerId: serverIdOf('pg-prod'), restoredBy: 'alice@contoso.com' },
    } as unknown as InventoryRecord;
    const result = classify(clone, { servers: [prod, clone], inventory: record, tagKeys });
    expect(result.classification).toBe('clone');
    expect(result.lineage.sourceServerId).toBe(serverIdOf('pg-prod'));
    expect(result.source?.key).toBe(prod.key);
    expect(result.evidence).toContain('inventory: activity log: PointInTimeRestore');
  });
});
