import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Server } from '../../src/domain/model.js';
import { buildPlan, type PlanAction, type PlanInput, type ServerPlan } from '../../src/domain/plan.js';
import { DEFAULT_POLICY, parsePolicy, parsePolicyText, type Policy } from '../../src/domain/policy.js';
import { parseSnapshotText } from '../../src/domain/snapshot.js';
import { mergeTags } from '../../src/domain/tags.js';
import {
  FALLBACK,
  lineageTags,
  PROD_TAGS,
  restoreRecord,
  server,
  serverIdOf,
  SETTINGS,
} from '../fixtures/snapshots/build.js';

const NOW = new Date('2026-12-01T09:00:00Z');
const examplePolicy = parsePolicyText(readFileSync(new URL('../../examples/policy.json', import.meta.url), 'utf8'));
const estate = parseSnapshotText(
  readFileSync(new URL('../fixtures/snapshots/small-estate.json', import.meta.url), 'utf8'),
);

function planEstate(policy: Policy = examplePolicy, now = NOW) {
  return buildPlan({
    now,
    policy,
    servers: estate.servers,
    inventory: estate.inventory,
    noticesSent: estate.noticesSent,
    restoreEvidence: estate.restoreEvidence,
    settings: SETTINGS,
  });
}
const byName = (plan: { servers: ServerPlan[] }, name: string) => plan.servers.find((s) => s.name === name)!;
const types = (s: ServerPlan) =>
  s.actions.map((a) => (a.type === 'skip' ? `skip:${a.reason}` : a.type === 'notify' ? `notify:${a.stage}` : a.type));

describe('plan of a small estate (examples/policy.json)', () => {
  const plan = planEstate();

  it('lists every live server and every inventory row, sorted by key', () => {
    expect(plan.now).toBe('2026-12-01T09:00:00Z');
    expect(plan.servers.map((s) => s.key)).toEqual([...plan.servers.map((s) => s.key)].sort());
    expect(plan.servers).toHaveLength(11);
  });

  it('never touches servers that are not clones', () => {
    for (const name of ['pg-prod', 'pg-dev']) {
      expect(byName(plan, name)).toMatchObject({
        classification: 'not-a-clone',
        violations: [],
        actions: [{ type: 'skip', reason: 'not-a-clone' }],
      });
    }
  });

  it('governs a fresh PITR clone of production: lineage, owner, expiry, open rules deleted, owner told', () => {
    const clone = byName(plan, 'pg-prod-restore-1129');
    expect(clone).toMatchObject({
      classification: 'clone',
      owner: 'alice@contoso.com',
      ownerSource: 'claims',
      expiresOn: '2026-12-08T09:00:00Z',
    });
    const tag = clone.actions.find((a) => a.type === 'tag');
    expect(tag).toMatchObject({
      type: 'tag',
      set: {
        Owner: 'alice@contoso.com',
        SourceOwner: 'payments-lead@contoso.com',
        Environment: 'restore-clone',
        SourceEnvironment: 'production',
        RestoredFrom: serverIdOf('pg-prod'),
        RestorePointUtc: '2026-11-29T07:45:00.000Z',
        RestoredBy: 'alice@contoso.com',
        ExpiresOn: '2026-12-08T09:00:00Z',
      },
    });
    const deletes = clone.actions.filter(
      (a): a is Extract<PlanAction, { type: 'delete-firewall-rule' }> => a.type === 'delete-firewall-rule',
    );
    expect(deletes.map((d) => [d.rule, d.startIpAddress, d.endIpAddress])).toEqual([
      ['AllowAll', '0.0.0.0', '255.255.255.255'],
      ['AllowAllAzureServicesAndResourcesWithinAzureIps', '0.0.0.0', '0.0.0.0'],
    ]);
    expect(types(clone)).toEqual([
      'tag',
      'delete-firewall-rule',
      'delete-firewall-rule',
      'notify:new-clone',
      'notify:noncompliant',
    ]);
    expect(
      clone.actions
        .filter((a) => a.type === 'notify')
        .every((a) => a.type === 'notify' && a.to === 'alice@contoso.com' && a.toSource === 'claims'),
    ).toBe(true);
    expect(clone.violations.map((v) => v.rule)).toEqual([
      'required-tags',
      'required-tags',
      'replace-inherited-ownership',
      'replace-inherited-ownership',
      'network-firewall',
      'network-firewall',
    ]);
  });

  it('never deletes a probable clone, even announced and past expiry and grace: it goes on the review list', () => {
    const copy = byName(plan, 'pg-prod-copy');
    expect(copy).toMatchObject({ classification: 'probable-clone', proof: { level: 'suspected' } });
    expect(types(copy)).toEqual(['skip:unproven', 'skip:unproven']);
    expect(copy.actions[0]).toMatchObject({
      detail: expect.stringContaining('pitr-warden confirm pg-prod-copy --clone'),
    });
    expect(plan.servers.filter((s) => s.actions.some((a) => a.type === 'delete-server')).map((s) => s.name)).toEqual(
      [],
    );
  });

  it('holds, locks, unparseable expiries and grace periods stop deletion, with the reason', () => {
    expect(types(byName(plan, 'pg-evidence-hold'))).toEqual(['skip:legal-hold']);
    expect(byName(plan, 'pg-evidence-hold').held).toBe(true);
    expect(types(byName(plan, 'pg-locked'))).toEqual(['skip:locked']);
    expect(types(byName(plan, 'pg-bad-expiry'))).toEqual([
      'notify:new-clone',
      'notify:noncompliant',
      'skip:expiry-unparseable',
    ]);
    expect(byName(plan, 'pg-bad-expiry')).toMatchObject({ expiresOn: null, expiresOnTag: 'next week' });
    expect(types(byName(plan, 'pg-grace'))).toEqual(['skip:grace-period']);
  });

  it('reminds before expiry, through the fallback when the owner domain is not allowed', () => {
    expect(byName(plan, 'pg-reminder').actions).toEqual([
      expect.objectContaining({
        type: 'notify',
        stage: 'reminder',
        leadDays: 3,
        to: FALLBACK,
        toSource: 'fallback-domain-not-allowed',
      }),
    ]);
  });

  it('quarantines a VNet clone outside the allowed subnets', () => {
    expect(types(byName(plan, 'pg-vnet-restore'))).toEqual(['stop-server', 'notify:new-clone', 'notify:noncompliant']);
  });

  it('tells the owner of a deleted clone once', () => {
    const gone = byName(plan, 'pg-old-restore');
    expect(gone.actions).toEqual([
      expect.objectContaining({ type: 'notify', stage: 'deleted', to: 'heidi@contoso.com' }),
      { type: 'skip', reason: 'deleted', detail: 'deleted 2026-11-30T10:30:00Z' },
    ]);
    const told = buildPlan({
      now: NOW,
      policy: examplePolicy,
      servers: [],
      inventory: estate.inventory,
      noticesSent: [{ server: gone.id.toUpperCase(), stage: 'deleted', sentAt: '2026-12-01T09:05:00Z' }],
      settings: SETTINGS,
    });
    expect(types(told.servers[0]!)).toEqual(['skip:deleted']);
  });

  it('grace, then the final notice: the deletion date moves with the clock', () => {
    const later = planEstate(examplePolicy, new Date('2026-12-02T09:00:00Z'));
    expect(later.servers.filter((s) => s.actions.some((a) => a.type === 'delete-server')).map((s) => s.name)).toEqual([
      'pg-grace',
    ]);
  });
});

describe('dry-run mode', () => {
  it('reports the same violations and makes no change', () => {
    const audit = parsePolicy({ ...examplePolicy, rules: examplePolicy.rules.map((r) => ({ ...r, mode: 'dry-run' })) });
    const enforce = planEstate();
    const audited = planEstate(audit);
    for (const s of audited.servers) {
      // Same findings; only wording about what enforce would stamp differs.
      expect(s.violations.map((v) => v.rule)).toEqual(byName(enforce, s.name).violations.map((v) => v.rule));
      expect(s.actions.every((a) => a.type === 'skip')).toBe(true);
    }
    const clone = byName(audited, 'pg-prod-restore-1129');
    expect(
      clone.actions
        .filter((a) => a.type === 'skip' && a.reason === 'dry-run')
        .map((a) => (a.type === 'skip' ? a.detail : '')),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^network-firewall: would delete firewall rule "AllowAll"/),
        expect.stringMatching(/^notices: would notify alice@contoso.com \(new-clone\)/),
      ]),
    );
    expect(byName(audited, 'pg-prod-copy').actions).toContainEqual(expect.objectContaining({ reason: 'unproven' }));
  });
});

describe('plan edge cases', () => {
  const prod = server({
    name: 'pg-prod',
    tags: PROD_TAGS,
    firewallRules: [{ name: 'AllowAll', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' }],
  });
  const input = (servers: Server[], extra: Partial<PlanInput> = {}): PlanInput => ({
    now: NOW,
    policy: DEFAULT_POLICY,
    servers,
    inventory: [],
    settings: SETTINGS,
    ...extra,
  });

  it('a tag plan over 50 tags is a violation, not a write', () => {
    const many = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, 'v']));
    const clone = server({
      name: 'pg-restore',
      createdAt: '2026-11-30T00:00:00Z',
      tags: { ...many, RestoredFrom: serverIdOf('pg-prod'), RestorePointUtc: '2026-11-29T07:45:00Z' },
    });
    const plan = buildPlan(input([clone]));
    const s = plan.servers[0]!;
    expect(s.actions.some((a) => a.type === 'tag')).toBe(false);
    expect(s.actions).toContainEqual(expect.objectContaining({ type: 'skip', reason: 'tag-limit' }));
    expect(s.violations).toContainEqual(
      expect.objectContaining({ rule: 'tag-limit', detail: expect.stringContaining("over Azure's limit of 50") }),
    );
    // The expiry was not written, so it is not claimed either.
    expect(s.expiresOn).toBeNull();
  });

  it('never PATCHes a stopped clone (Azure fails it): public access is disabled once it runs again', () => {
    const policy = parsePolicy({
      ...DEFAULT_POLICY,
      rules: [{ type: 'network-firewall', mode: 'enforce', publicAccess: 'disabled', allowedRanges: [] }],
    });
    const lineage = { RestoredFrom: serverIdOf('pg-prod'), RestorePointUtc: '2026-11-29T07:45:00Z' };
    const running = server({
      name: 'pg-restore',
      createdAt: '2026-11-30T00:00:00Z',
      tags: lineage,
      state: 'Ready',
      publicNetworkAccess: 'Enabled',
      firewallRules: [],
    });
    const stopped = { ...running, state: 'Stopped' };
    const restoreEvidence = [restoreRecord(running)];
    expect(types(buildPlan(input([running], { policy, restoreEvidence })).servers[0]!)).toContain(
      'disable-public-access',
    );
    const plan = buildPlan(input([stopped], { policy, restoreEvidence })).servers[0]!;
    expect(types(plan)).not.toContain('disable-public-access');
    expect(plan.actions).toContainEqual(expect.objectContaining({ type: 'skip', reason: 'server-stopped' }));
    expect(plan.violations).toContainEqual(
      expect.objectContaining({ rule: 'network-firewall', detail: 'public network access is enabled' }),
    );
  });

  it('a production server with an open firewall is never touched', () => {
    const plan = buildPlan(input([prod]));
    expect(plan.servers[0]!.actions).toEqual([{ type: 'skip', reason: 'not-a-clone' }]);
  });

  it('after the plan is carried out, the next plan changes nothing and sends nothing twice', () => {
    const clone = server({
      name: 'pg-restore',
      createdAt: '2026-11-30T08:00:00Z',
      tags: { ...PROD_TAGS, ...lineageTags(), Incident: 'INC-9' },
      firewallRules: [{ name: 'AllowAll', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' }],
    });
    const first = buildPlan(input([prod, clone], { restoreEvidence: [restoreRecord(clone)] }));
    const actions = first.servers.find((s) => s.name === 'pg-restore')!.actions;
    expect(actions.map((a) => a.type)).toEqual(['tag', 'delete-firewall-rule', 'notify']);
    const tag = actions.find((a) => a.type === 'tag')!;
    const applied: Server = {
      ...clone,
      tags: mergeTags(clone.tags, tag.type === 'tag' ? tag.set : {}),
      firewallRules: [],
    };
    const second = buildPlan(
      input([prod, applied], {
        restoreEvidence: [restoreRecord(clone)],
        noticesSent: [{ server: clone.id, stage: 'new-clone', sentAt: NOW.toISOString() }],
      }),
    );
    const again = second.servers.find((s) => s.name === 'pg-restore')!;
    expect(again.actions).toEqual([]);
    expect(again).toMatchObject({ classification: 'clone', owner: 'alice@contoso.com', violations: [] });
  });

  it('an owner who extends after the final notice is not deleted, and gets a new final notice at the new expiry', () => {
    const tags = { ...lineageTags(), Owner: 'alice@contoso.com', Incident: 'INC-9' };
    const history = [
      { server: serverIdOf('pg-restore'), stage: 'new-clone' as const, sentAt: '2026-11-20T09:00:00Z' },
      { server: serverIdOf('pg-restore'), stage: 'final-notice' as const, sentAt: '2026-11-25T09:00:00Z' },
    ];
    const extended = server({
      name: 'pg-restore',
      createdAt: '2026-11-18T00:00:00Z',
      tags: { ...tags, ExpiresOn: '2026-12-05' },
    });
    const restoreEvidence = [restoreRecord(extended)];
    expect(
      buildPlan(input([extended], { noticesSent: history, restoreEvidence })).servers[0]!.actions.map((a) => a.type),
    ).toEqual([]);
    const laterNow = new Date('2026-12-05T10:00:00Z');
    const atNewExpiry = buildPlan(input([extended], { now: laterNow, noticesSent: history, restoreEvidence }))
      .servers[0]!;
    expect(atNewExpiry.actions).toEqual([
      expect.objectContaining({ type: 'notify', stage: 'final-notice', deleteAfter: '2026-12-07T10:00:00Z' }),
      expect.objectContaining({ type: 'skip', reason: 'final-notice-not-sent' }),
    ]);
  });

  it('is deterministic whatever the order of its input', () => {
    const a = buildPlan({
      now: NOW,
      policy: examplePolicy,
      servers: estate.servers,
      inventory: estate.inventory,
      noticesSent: estate.noticesSent,
      restoreEvidence: estate.restoreEvidence,
      settings: SETTINGS,
    });
    const b = buildPlan({
      now: NOW,
      policy: examplePolicy,
      servers: [...estate.servers].reverse(),
      inventory: [...estate.inventory].reverse(),
      noticesSent: [...estate.noticesSent].reverse(),
      restoreEvidence: [...estate.restoreEvidence].reverse(),
      settings: SETTINGS,
    });
    expect(b).toEqual(a);
  });
});

describe("a restore drill's own rule for the app on its clone", () => {
  const APP = [{ start: '20.50.1.8', end: '20.50.1.9' }];
  const DRILL_TAGS = {
    ...PROD_TAGS,
    ...lineageTags(),
    WardenDrill: 'drill-orders-nightly-202612010850',
    Purpose: 'restore-drill',
    ExpiresOn: '2026-12-03T09:00:00Z',
  };
  const rules = [
    { name: 'pitr-warden-drill-1', startIpAddress: '20.50.1.8', endIpAddress: '20.50.1.9' },
    // The same name over a wider range, and the app's range under another name: ordinary rules, deleted as usual.
    { name: 'pitr-warden-drill-2', startIpAddress: '20.50.0.0', endIpAddress: '20.50.255.255' },
    { name: 'app', startIpAddress: '20.50.1.8', endIpAddress: '20.50.1.8' },
  ];
  const deleted = (tags: Record<string, string>, drillClientAddresses?: typeof APP) => {
    const clone = server({
      name: 'drill-orders-nightly-202612010850',
      createdAt: '2026-12-01T08:56:30Z',
      tags,
      firewallRules: rules,
    });
    const input: PlanInput = {
      now: NOW,
      policy: DEFAULT_POLICY,
      servers: [clone],
      inventory: [],
      restoreEvidence: [restoreRecord(clone)],
      settings: SETTINGS,
      ...(drillClientAddresses ? { drillClientAddresses } : {}),
    };
    const plan = buildPlan(input).servers[0]!;
    expect(plan.classification).toBe('clone');
    return plan.actions.flatMap((a) => (a.type === 'delete-firewall-rule' ? [a.rule] : []));
  };

  it('is left to the drill (removed after validation or with the clone); anything else on the clone is deleted as usual', () => {
    expect(deleted(DRILL_TAGS, APP)).toEqual(['app', 'pitr-warden-drill-2']);
  });

  it('is an ordinary rule without DRILL_CLIENT_ADDRESSES, or on a clone not tagged as a drill', () => {
    expect(deleted(DRILL_TAGS)).toEqual(['app', 'pitr-warden-drill-1', 'pitr-warden-drill-2']);
    const { WardenDrill: _w, ...noDrillTag } = DRILL_TAGS;
    expect(deleted(noDrillTag, APP)).toEqual(['app', 'pitr-warden-drill-1', 'pitr-warden-drill-2']);
    expect(deleted({ ...DRILL_TAGS, Purpose: 'investigation' }, APP)).toEqual([
      'app',
      'pitr-warden-drill-1',
      'pitr-warden-drill-2',
    ]);
  });
});
