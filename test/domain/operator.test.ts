import { describe, expect, it } from 'vitest';
import type { Server } from '../../src/domain/model.js';
import {
  jobHealth,
  parseTtl,
  parseZonedTime,
  planExtend,
  planHold,
  planRelease,
  planRestore,
  serverNameProblem,
  type RestoreFacts,
} from '../../src/domain/operator.js';
import { buildPlan } from '../../src/domain/plan.js';
import { DEFAULT_POLICY, parsePolicy } from '../../src/domain/policy.js';
import { serverFromArm } from '../../src/domain/snapshot.js';
import { armServer } from '../support/estate.js';
import { restoreRecord } from '../fixtures/snapshots/build.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const settings = { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] };

const prod: Server = {
  ...serverFromArm(
    armServer({
      name: 'pg-orders-prod',
      tags: { Owner: 'orders-team@contoso.com', Environment: 'production', CostCenter: 'CC-1001' },
    }),
  ),
  earliestRestoreDate: '2026-10-16T12:00:00Z',
};

const facts = (over: Partial<RestoreFacts> = {}): RestoreFacts => ({
  now: NOW,
  policy: DEFAULT_POLICY,
  source: prod,
  time: '2026-11-20T08:00:00Z',
  name: 'pg-orders-0412',
  targetResourceGroup: 'rg-prod',
  owner: 'alice@contoso.com',
  allowedOwnerDomains: ['contoso.com'],
  incident: 'INC-4242',
  restoredBy: 'alice@contoso.com',
  ...over,
});

/** The clone ARM would create from the plan: the source's shape, the request's tags, created now. */
function cloneOf(tags: Record<string, string>, name = 'pg-orders-0412'): Server {
  return { ...serverFromArm(armServer({ name, tags, createdAt: NOW.toISOString() })), firewallRules: [], locks: [] };
}

describe('parseZonedTime', () => {
  it('reads Z and offsets as the same UTC instant', () => {
    expect(parseZonedTime('2026-11-20T08:00:00Z')).toEqual({ ok: true, value: new Date('2026-11-20T08:00:00Z') });
    expect(parseZonedTime('2026-11-20T09:00:00+01:00')).toEqual({ ok: true, value: new Date('2026-11-20T08:00:00Z') });
    expect(parseZonedTime('2026-11-20T03:30-0430')).toEqual({ ok: true, value: new Date('2026-11-20T08:00:00Z') });
    expect(parseZonedTime('2026-11-20T08:00:00.250Z')).toEqual({
      ok: true,
      value: new Date('2026-11-20T08:00:00.250Z'),
    });
  });

  it('refuses a bare local time, a date alone, and impossible dates, saying how to write it', () => {
    const bare = parseZonedTime('2026-11-20T10:00:00');
    expect(bare).toEqual({
      ok: false,
      problem: expect.stringContaining('has no time zone: add Z for UTC (2026-11-20T10:00:00Z)'),
    });
    expect(parseZonedTime('2026-11-20')).toEqual({
      ok: false,
      problem: expect.stringContaining('a date alone has no time of day'),
    });
    expect(parseZonedTime('2026-02-30T10:00:00Z')).toEqual({
      ok: false,
      problem: expect.stringContaining('not a real date'),
    });
    expect(parseZonedTime('yesterday')).toMatchObject({ ok: false });
  });
});

describe('parseTtl and serverNameProblem', () => {
  it('reads hours, days and weeks', () => {
    expect(parseTtl('36h')).toEqual({ ok: true, value: 36 * 3_600_000 });
    expect(parseTtl('7d')).toEqual({ ok: true, value: 7 * 86_400_000 });
    expect(parseTtl('2W')).toEqual({ ok: true, value: 14 * 86_400_000 });
    expect(parseTtl('0d')).toMatchObject({ ok: false });
    expect(parseTtl('a week')).toMatchObject({ ok: false });
  });

  it('accepts flexible server names only', () => {
    expect(serverNameProblem('pg-orders-0412')).toBeUndefined();
    expect(serverNameProblem('abc')).toBeUndefined();
    for (const bad of ['ab', 'PG-orders', '-pg', 'pg-', 'pg_orders', 'a'.repeat(64)])
      expect(serverNameProblem(bad)).toMatch(/not a valid server name/);
  });
});

describe('planRestore', () => {
  it('plans a restore whose birth tags carry lineage, owner, reason and expiry, with the inherited Owner kept aside', () => {
    const check = planRestore(facts());
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.plan).toMatchObject({
      sourceServerId: prod.id,
      targetResourceGroup: 'rg-prod',
      targetName: 'pg-orders-0412',
      location: 'eastus',
      pointInTime: new Date('2026-11-20T08:00:00Z'),
    });
    expect(check.plan.tags).toEqual({
      Owner: 'alice@contoso.com',
      SourceOwner: 'orders-team@contoso.com',
      Environment: 'production',
      CostCenter: 'CC-1001',
      RestoredFrom: prod.id,
      RestorePointUtc: '2026-11-20T08:00:00Z',
      RestoredBy: 'alice@contoso.com',
      Incident: 'INC-4242',
      ExpiresOn: '2026-11-27T12:00:00Z',
    });
  });

  it("a SQL database's copy is born with the warden's tags only: Azure copies none of the source's, and neither does the warden", () => {
    const logical =
      '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-shop/providers/Microsoft.Sql/servers/sql-shop';
    const shop: Server = {
      ...serverFromArm({
        id: `${logical}/databases/shop`,
        name: 'shop',
        location: 'westeurope',
        tags: { Owner: 'shop-team@contoso.com', Environment: 'production', CostCenter: 'CC-2002' },
        properties: { status: 'Online' },
      }),
      earliestRestoreDate: '2026-11-13T12:00:00Z',
    };
    // Even a policy that relabels what a restore inherits has nothing to relabel.
    const policy = parsePolicy({
      ...DEFAULT_POLICY,
      rules: DEFAULT_POLICY.rules.map((r) =>
        r.type === 'replace-inherited-ownership' ? { ...r, alsoReplace: { Environment: 'restore-copy' } } : r,
      ),
    });
    const check = planRestore(facts({ source: shop, policy, name: 'shop-fix', targetResourceGroup: 'rg-shop' }));
    if (!check.ok) throw new Error(check.problems.join('; '));
    expect(check.plan.tags).toEqual({
      Owner: 'alice@contoso.com',
      RestoredFrom: shop.id,
      RestorePointUtc: '2026-11-20T08:00:00Z',
      RestoredBy: 'alice@contoso.com',
      Incident: 'INC-4242',
      ExpiresOn: '2026-11-27T12:00:00Z',
    });
  });

  it('gives a clone that the plan classifies from its tags alone and finds nothing to fix', () => {
    const check = planRestore(facts({ ttl: '30d' }));
    if (!check.ok) throw new Error(check.problems.join('; '));
    const clone = cloneOf(check.plan.tags);
    for (const servers of [[clone], [clone, prod]]) {
      const plan = buildPlan({ now: NOW, policy: DEFAULT_POLICY, servers, inventory: [], settings }).servers.find(
        (s) => s.key === clone.key,
      )!;
      expect(plan.classification).toBe('clone');
      expect(plan).toMatchObject({
        owner: 'alice@contoso.com',
        ownerSource: 'tag-at-restore',
        expiresOn: '2026-12-20T12:00:00Z',
        violations: [],
      });
      expect(plan.actions.filter((a) => a.type !== 'notify' && a.type !== 'skip')).toEqual([]);
    }
  });

  it('replaces the alsoReplace tags as the replace-inherited-ownership rule would, so the plan has no tag write', () => {
    const policy = parsePolicy({
      rules: [
        { type: 'required-tags', mode: 'enforce' },
        { type: 'stamp-lineage', mode: 'enforce' },
        { type: 'expiry', mode: 'enforce' },
        {
          type: 'replace-inherited-ownership',
          mode: 'enforce',
          sourceKeyPrefix: 'Prod',
          alsoReplace: { Environment: 'restore-clone' },
        },
      ],
    });
    const check = planRestore(facts({ policy, purpose: 'compare orders after the bad release', incident: undefined }));
    if (!check.ok) throw new Error(check.problems.join('; '));
    expect(check.plan.tags).toMatchObject({
      ProdOwner: 'orders-team@contoso.com',
      ProdEnvironment: 'production',
      Environment: 'restore-clone',
      Purpose: 'compare orders after the bad release',
    });
    expect(check.plan.tags).not.toHaveProperty('Incident');
    const clone = cloneOf(check.plan.tags);
    const plan = buildPlan({ now: NOW, policy, servers: [clone, prod], inventory: [], settings }).servers.find(
      (s) => s.key === clone.key,
    )!;
    expect(plan.violations).toEqual([]);
    expect(plan.actions.filter((a) => a.type === 'tag')).toEqual([]);
  });

  it('drops the labels that describe a clone source (its lineage, hold, incident, expiry) and writes its own', () => {
    const cloneSource: Server = {
      ...prod,
      tags: {
        ...prod.tags,
        RestoredFrom: '/x',
        RestorePointUtc: '2026-01-01T00:00:00Z',
        LegalHold: 'audit',
        Incident: 'INC-1',
        ExpiresOn: '2026-01-02',
      },
    };
    const check = planRestore(facts({ source: cloneSource }));
    if (!check.ok) throw new Error(check.problems.join('; '));
    expect(check.plan.tags).not.toHaveProperty('LegalHold');
    expect(check.plan.tags).toMatchObject({
      RestoredFrom: prod.id,
      Incident: 'INC-4242',
      ExpiresOn: '2026-11-27T12:00:00Z',
    });
  });

  it.each([
    ['a time without zone', { time: '2026-11-20T10:00:00' }, /--time: "2026-11-20T10:00:00" has no time zone/],
    [
      'a time before the window',
      { time: '2026-10-01T00:00:00Z' },
      /--time 2026-10-01T00:00:00Z .* is before the earliest restore point of pg-orders-prod: the restore window is 2026-10-16T12:00:00Z to now \(2026-11-20T12:00:00Z\)/,
    ],
    [
      'a time in the future',
      { time: '2026-11-20T14:00:00+01:00' },
      /--time 2026-11-20T14:00:00\+01:00 \(2026-11-20T13:00:00Z\) is in the future/,
    ],
    ['an invalid name', { name: 'PG_Orders' }, /--name: "PG_Orders" is not a valid server name/],
    [
      'a taken name',
      {
        nameTakenBy:
          '/subscriptions/s/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-orders-0412',
      },
      /--name: a server named pg-orders-0412 already exists/,
    ],
    [
      'another resource group',
      { targetResourceGroup: 'rg-sandbox' },
      /--resource-group rg-sandbox: only the source's own resource group rg-prod is allowed/,
    ],
    [
      'an owner outside the domains',
      { owner: 'eve@gmail.com' },
      /--owner: "eve@gmail.com" is not in an allowed domain \(contoso.com\)/,
    ],
    ['the source owner', { owner: 'Orders-Team@contoso.com' }, /--owner Orders-Team@contoso.com is the source's Owner/],
    ['no reason', { incident: undefined }, /give --incident <id> or --purpose <text>/],
    ['both reasons', { purpose: 'x' }, /not both/],
    ['a TTL over the maximum', { ttl: '45d' }, /--ttl 45d: over the maximum lifetime of 30 days/],
    ['an unreadable TTL', { ttl: 'forever' }, /--ttl: "forever" is not a lifetime/],
    [
      'a source not found',
      { source: undefined, sourceProblem: 'no server named pg-nope' },
      /--source: no server named pg-nope/,
    ],
  ] as const)('refuses %s with a clear message', (_label, over, message) => {
    const check = planRestore(facts(over));
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems).toHaveLength(1);
    expect(check.problems[0]).toMatch(message);
  });

  it('reports every problem at once', () => {
    const check = planRestore(
      facts({ time: '2026-11-20T10:00:00', nameTakenBy: '/subscriptions/s/x', owner: 'eve@gmail.com', ttl: '90d' }),
    );
    expect(check).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/^--time:/),
        expect.stringMatching(/^--name:/),
        expect.stringMatching(/^--owner:/),
        expect.stringMatching(/^--ttl 90d/),
      ],
    });
  });

  it('allows the resource groups the policy names', () => {
    const policy = parsePolicy({
      restore: { allowedTargetResourceGroups: ['RG-Forensics'], allowedOwnerDomains: ['fabrikam.com'] },
    });
    expect(planRestore(facts({ policy, targetResourceGroup: 'rg-forensics' })).ok).toBe(true);
    expect(planRestore(facts({ policy, targetResourceGroup: 'rg-prod' }))).toMatchObject({
      ok: false,
      problems: [
        expect.stringMatching(
          /not an allowed restore target \(policy restore.allowedTargetResourceGroups: RG-Forensics\)/,
        ),
      ],
    });
  });
});

describe('planExtend', () => {
  const clone = { ...cloneOf({ ExpiresOn: '2026-11-27T12:00:00Z' }), createdAt: '2026-11-20T12:00:00.000Z' };

  it('moves the expiry later, keeping the key as it is on the server', () => {
    const onLower = { ...clone, tags: { expireson: '2026-11-27' } };
    expect(planExtend({ server: onLower, until: '2026-12-10', now: NOW, policy: DEFAULT_POLICY })).toEqual({
      ok: true,
      set: { expireson: '2026-12-10T00:00:00Z' },
      before: '2026-11-27',
      expiresOn: '2026-12-10T00:00:00Z',
    });
    expect(
      planExtend({ server: clone, until: '2026-12-10T10:00:00+01:00', now: NOW, policy: DEFAULT_POLICY }),
    ).toMatchObject({ ok: true, set: { ExpiresOn: '2026-12-10T09:00:00Z' } });
  });

  it('refuses beyond the maximum lifetime, naming the latest allowed date', () => {
    expect(planExtend({ server: clone, until: '2026-12-21', now: NOW, policy: DEFAULT_POLICY })).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(
          /beyond the maximum lifetime of 30 days .*created 2026-11-20T12:00:00Z, so the latest allowed is 2026-12-20T12:00:00Z/,
        ),
      ],
    });
  });

  it('refuses an unparseable date, a past date and an earlier expiry', () => {
    expect(planExtend({ server: clone, until: 'next friday', now: NOW, policy: DEFAULT_POLICY })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/--until: "next friday" is not a date/)],
    });
    expect(planExtend({ server: clone, until: '2026-11-19', now: NOW, policy: DEFAULT_POLICY })).toMatchObject({
      ok: false,
      problems: expect.arrayContaining([expect.stringMatching(/not in the future/)]),
    });
    expect(planExtend({ server: clone, until: '2026-11-25', now: NOW, policy: DEFAULT_POLICY })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/earlier than the current ExpiresOn/)],
    });
  });
});

describe('planHold and planRelease', () => {
  const expired = {
    ...cloneOf({
      Owner: 'alice@contoso.com',
      RestoredFrom: prod.id,
      RestorePointUtc: '2026-10-20T00:00:00Z',
      Incident: 'INC-1',
      ExpiresOn: '2026-11-01',
    }),
    createdAt: '2026-10-20T01:00:00.000Z',
  };
  const finalNotice = [
    { server: expired.id, stage: 'final-notice' as const, sentAt: '2026-11-01T09:00:00Z' },
    { server: expired.id, stage: 'new-clone' as const, sentAt: '2026-10-20T02:00:00Z' },
  ];
  // Proven by its restore record in the Activity Log.
  const restoreEvidence = [restoreRecord(expired, { source: prod.id, point: '2026-10-20T00:00:00Z' })];
  const sweepOf = (server: Server) =>
    buildPlan({
      now: NOW,
      policy: DEFAULT_POLICY,
      servers: [server],
      inventory: [],
      noticesSent: finalNotice,
      restoreEvidence,
      settings,
    }).servers[0]!.actions;

  it('a held clone is skipped by the sweep with legal-hold; released, it is deleted again', () => {
    expect(sweepOf(expired).map((a) => a.type)).toEqual(['delete-server']);
    const hold = planHold({ server: expired, reason: '  litigation   INC-9 ', policy: DEFAULT_POLICY });
    expect(hold).toEqual({ ok: true, set: { LegalHold: 'litigation INC-9' } });
    if (!hold.ok) return;
    const held = { ...expired, tags: { ...expired.tags, ...hold.set } };
    expect(sweepOf(held)).toContainEqual({
      type: 'skip',
      reason: 'legal-hold',
      detail: expect.stringContaining('under legal hold'),
    });

    const release = planRelease(held, DEFAULT_POLICY);
    expect(release).toEqual({ LegalHold: 'litigation INC-9' });
    const { LegalHold: _gone, ...released } = held.tags;
    expect(planRelease({ ...held, tags: released }, DEFAULT_POLICY)).toBeUndefined();
    expect(sweepOf({ ...held, tags: released }).map((a) => a.type)).toEqual(['delete-server']);
  });

  it('refuses a reason that would not hold, and treats "false" as not held', () => {
    expect(planHold({ server: expired, reason: 'false', policy: DEFAULT_POLICY })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/would not hold it/)],
    });
    expect(planHold({ server: expired, reason: 'x'.repeat(257), policy: DEFAULT_POLICY })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/at most 256/)],
    });
    expect(planRelease({ ...expired, tags: { ...expired.tags, legalhold: 'false' } }, DEFAULT_POLICY)).toBeUndefined();
  });
});

describe('jobHealth', () => {
  const every5 = '0 */5 * * * *';

  it('is ok within two scheduled runs of the last success, stale after', () => {
    const run = { job: 'reconcile', lastSucceededAt: '2026-11-20T11:50:10Z', lastOutcome: 'succeeded' as const };
    expect(jobHealth({ job: 'reconcile', schedule: every5, run, now: new Date('2026-11-20T12:04:00Z') })).toMatchObject(
      { status: 'ok', intervalMinutes: 5, dueBy: '2026-11-20T12:05:00Z' },
    );
    const stale = jobHealth({
      job: 'reconcile',
      schedule: every5,
      run: { ...run, lastOutcome: 'failed', lastError: 'ARM 403' },
      now: new Date('2026-11-20T12:05:01Z'),
    });
    expect(stale).toMatchObject({
      status: 'stale',
      detail: expect.stringMatching(
        /missed the runs of 2026-11-20T11:55:00Z and 2026-11-20T12:00:00Z; last run failed: ARM 403/,
      ),
    });
  });

  it('does not call a business-hours job stale over the weekend', () => {
    const schedule = '0 0 9-17 * * 1-5';
    const run = { job: 'notices', lastSucceededAt: '2026-11-20T17:00:30Z' };
    expect(jobHealth({ job: 'notices', schedule, run, now: new Date('2026-11-22T20:00:00Z') })).toMatchObject({
      status: 'ok',
      dueBy: '2026-11-23T10:15:00Z',
    });
    expect(jobHealth({ job: 'notices', schedule, run, now: new Date('2026-11-23T10:16:00Z') })).toMatchObject({
      status: 'stale',
    });
  });

  it('reports a job whose last run failed as failing at once, not only once it is stale', () => {
    const run = {
      job: 'reconcile',
      lastStartedAt: '2026-11-20T11:55:00Z',
      lastFinishedAt: '2026-11-20T11:55:04Z',
      lastSucceededAt: '2026-11-20T11:50:10Z',
      lastOutcome: 'failed' as const,
      lastError: 'ARM 403',
    };
    expect(jobHealth({ job: 'reconcile', schedule: every5, run, now: new Date('2026-11-20T11:56:00Z') })).toMatchObject(
      {
        status: 'failing',
        detail: 'last run (2026-11-20T11:55:04Z) failed: ARM 403 (last success 2026-11-20T11:50:10Z)',
      },
    );
    const never = {
      job: 'deleteExpiredClones',
      lastStartedAt: '2026-11-20T11:00:00Z',
      lastFinishedAt: '2026-11-20T11:00:02Z',
      lastOutcome: 'failed' as const,
      lastError: 'listing failed',
    };
    expect(jobHealth({ job: 'deleteExpiredClones', schedule: every5, run: never, now: NOW })).toMatchObject({
      status: 'failing',
      detail: expect.stringMatching(/^never succeeded; last run .*failed: listing failed$/),
    });
  });

  it('calls a job that has not had its first scheduled run on a fresh deployment pending, not unhealthy', () => {
    const weekly = '0 0 8 * * 1';
    // The warden started on Friday 2026-11-20; the weekly summary first runs Monday 2026-11-23 08:00.
    const since = new Date('2026-11-20T10:00:00Z');
    expect(jobHealth({ job: 'sendFinopsSummary', schedule: weekly, now: NOW, since })).toMatchObject({
      status: 'pending',
      detail: expect.stringContaining('its first scheduled run is 2026-11-23T08:00:00Z'),
    });
    // Still pending until its second scheduled run (plus grace) is past, then never-succeeded.
    expect(
      jobHealth({ job: 'sendFinopsSummary', schedule: weekly, now: new Date('2026-11-30T08:14:00Z'), since }),
    ).toMatchObject({ status: 'pending' });
    expect(
      jobHealth({ job: 'sendFinopsSummary', schedule: weekly, now: new Date('2026-11-30T08:16:00Z'), since }),
    ).toMatchObject({ status: 'never-succeeded', detail: 'never ran since the warden started 2026-11-20T10:00:00Z' });
  });

  it('reports a job that never ran or never succeeded, and leaves disabled ones alone', () => {
    expect(jobHealth({ job: 'sweep', schedule: every5, now: NOW })).toMatchObject({
      status: 'never-succeeded',
      detail: 'never ran',
    });
    expect(
      jobHealth({
        job: 'sweep',
        schedule: every5,
        run: { job: 'sweep', lastStartedAt: '2026-11-20T11:00:00Z', lastError: 'boom' },
        now: NOW,
      }),
    ).toMatchObject({ status: 'never-succeeded', detail: expect.stringContaining('boom') });
    expect(jobHealth({ job: 'finops-summary', schedule: every5, enabled: false, now: NOW })).toMatchObject({
      status: 'disabled',
    });
  });
});
