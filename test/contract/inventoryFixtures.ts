import type { EvidenceEntry, InventoryRecord } from '../../src/domain/model.js';

export const SUB_A = '00000000-0000-4000-8000-00000000000a';
export const SUB_B = '00000000-0000-4000-8000-00000000000b';

export function serverKeyOf(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/providers/microsoft.dbforpostgresql/flexibleservers/${name}`;
}

/** A record with only the required fields. */
export function minimalRecord(subscriptionId: string, name: string, resourceGroup = 'rg-data'): InventoryRecord {
  const key = serverKeyOf(subscriptionId, resourceGroup, name);
  return {
    key,
    id: key,
    engine: 'postgresql-flexible',
    subscriptionId,
    resourceGroup,
    name,
    location: 'westeurope',
    classification: 'not-a-clone',
    classificationEvidence: [],
    lineage: {},
    violations: [],
    compliant: true,
    noticesSent: [],
    state: 'listed',
    tags: {},
    firstSeenAt: '2026-11-01T08:00:00.000Z',
    observedAt: '2026-11-01T08:00:00.000Z',
    updatedAt: '2026-11-01T08:00:00.000Z',
  };
}

/** A record with every optional field set, unicode and tag names and values with characters keys forbid. */
export function fullRecord(subscriptionId: string, name: string): InventoryRecord {
  const base = minimalRecord(subscriptionId, name, 'rg-incident');
  return {
    ...base,
    id: `/subscriptions/${subscriptionId}/resourceGroups/RG-Incident/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`,
    classification: 'clone',
    classificationEvidence: [
      'lineage tag warden-source present',
      'Activity Log createMode PointInTimeRestore — 2026-11-01T07:59:00Z',
    ],
    lineage: {
      sourceServerId: serverKeyOf(subscriptionId, 'rg-prod', 'pg-prod'),
      restorePointUtc: '2026-10-31T23:00:00.000Z',
      restoredBy: 'zoë.müller@contoso.com',
      correlationId: 'c0ffee00-0000-4000-8000-000000000001',
    },
    owner: 'zoë.müller@contoso.com',
    ownerSource: 'claims',
    expiresOn: '2026-11-15T00:00:00.000Z',
    expiresOnTag: '2026-11-15',
    violations: [
      {
        rule: 'network-firewall',
        subject: { kind: 'firewall-rule', name: 'AllowAll' },
        detail: 'firewall rule "AllowAll" opens 0.0.0.0-255.255.255.255',
      },
    ],
    compliant: false,
    skuName: 'Standard_D2ds_v5',
    skuTier: 'GeneralPurpose',
    storageSizeGb: 128,
    createdAt: '2026-11-01T07:59:30.000Z',
    noticesSent: [
      { stage: 'new-clone', sentAt: '2026-11-01T09:00:00.000Z', to: 'zoë.müller@contoso.com' },
      { stage: 'reminder', leadDays: 3, sentAt: '2026-11-12T09:00:00.000Z', to: 'zoë.müller@contoso.com' },
    ],
    state: 'governed',
    serverState: 'Ready',
    tags: {
      Owner: 'zoë.müller@contoso.com',
      'cost/centre#1?': 'C\\42 / "quoted" \'single\' 100%',
      環境: '開発 🧪',
      'empty-value': '',
    },
    observedAt: '2026-11-02T10:00:00.000Z',
    updatedAt: '2026-11-02T10:00:01.000Z',
    deletedAt: '2026-11-20T10:30:00.000Z',
    deletedBy: 'pitr-warden',
    deleteReason: 'expired 2026-11-15 + grace 3 days; owner told 2026-11-12',
  };
}

export function evidenceEntry(
  serverKey: string,
  id: string,
  at: string,
  extra: Partial<EvidenceEntry> = {},
): EvidenceEntry {
  return { serverKey, id, at, actor: 'pitr-warden', kind: 'classify', summary: `entry ${id}`, ...extra };
}

/** A deterministic shuffle, so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
