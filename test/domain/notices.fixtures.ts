import { readFileSync } from 'node:fs';
import { estimateCost, type PriceItem, type Prices } from '../../src/domain/cost.js';
import { serverId } from '../../src/domain/ids.js';
import type { InventoryRecord } from '../../src/domain/model.js';
import { noticeItemFromRecord, type NoticeItem, type NoticeItemOptions } from '../../src/domain/notices/item.js';

const table = JSON.parse(
  readFileSync(new URL('../../data/retail-prices-2026-11-01.json', import.meta.url), 'utf8'),
) as { asOf: string; Items: PriceItem[] };
export const prices: Prices = { items: table.Items, source: { kind: 'price-table', asOf: table.asOf } };
export const NOW = new Date('2026-11-22T09:00:00Z');
export const SUB_A = '00000000-0000-4000-8000-000000000001';
export const SUB_B = '00000000-0000-4000-8000-000000000002';
export const TAG_KEYS = { incident: 'Incident', purpose: 'Purpose', expiresOn: 'ExpiresOn', legalHold: 'LegalHold' };

/** An inventory row of a governed, proven clone (B1ms, 32 GB, eastus, created 2026-11-20T00:00Z) with overrides. */
export function record(name: string, overrides: Partial<InventoryRecord> = {}): InventoryRecord {
  const subscriptionId = overrides.subscriptionId ?? SUB_A;
  const resourceGroup = overrides.resourceGroup ?? 'rg-restores';
  const id = serverId(subscriptionId, resourceGroup, name);
  return {
    key: id.toLowerCase(),
    id,
    engine: 'postgresql-flexible',
    subscriptionId,
    resourceGroup,
    name,
    location: 'eastus',
    classification: 'clone',
    classificationEvidence: ['restored through the warden'],
    proof: {
      level: 'proven',
      basis: 'governed-restore',
      evidence: ['restored through the warden'],
      contradictions: [],
      provenAt: '2026-11-20T00:05:00Z',
    },
    lineage: {
      sourceServerId: serverId(subscriptionId, 'rg-prod', 'pg-prod'),
      restorePointUtc: '2026-11-19T23:15:00Z',
      restoredBy: 'ana@contoso.com',
    },
    owner: 'ana@contoso.com',
    ownerSource: 'tag-at-restore',
    expiresOn: '2026-11-27T00:00:00.000Z',
    expiresOnTag: '2026-11-27',
    violations: [],
    compliant: true,
    skuName: 'Standard_B1ms',
    skuTier: 'Burstable',
    storageSizeGb: 32,
    createdAt: '2026-11-20T00:00:00Z',
    noticesSent: [],
    state: 'governed',
    serverState: 'Ready',
    tags: { Owner: 'ana@contoso.com', Incident: 'INC-1042', ExpiresOn: '2026-11-27' },
    firstSeenAt: '2026-11-20T00:05:00Z',
    observedAt: '2026-11-20T00:05:00Z',
    updatedAt: '2026-11-20T00:05:00Z',
    ...overrides,
  };
}

export function costFor(r: InventoryRecord) {
  return estimateCost(
    {
      skuName: r.skuName ?? '',
      tier: r.skuTier,
      storageSizeGb: r.storageSizeGb ?? 0,
      region: r.location,
      createdAt: r.createdAt,
      until: r.deletedAt,
    },
    prices,
    NOW,
  );
}

export function item(
  r: InventoryRecord,
  options: Partial<NoticeItemOptions> & Pick<NoticeItemOptions, 'stage'>,
): NoticeItem {
  return noticeItemFromRecord(r, {
    recipient: r.owner ?? 'dba-team@contoso.com',
    cost: costFor(r),
    now: NOW,
    tagKeys: TAG_KEYS,
    maxLifetimeDays: 30,
    portalUrl: 'https://portal.azure.com',
    ...options,
  });
}
