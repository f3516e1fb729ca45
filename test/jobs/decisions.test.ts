import { describe, expect, it } from 'vitest';
import type { NoticeSent, Server } from '../../src/domain/model.js';
import { PreflightError } from '../../src/domain/operator.js';
import { buildPlan } from '../../src/domain/plan.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { confirmServer, promoteServer } from '../../src/jobs/decisions.js';
import type { OperatorDeps } from '../../src/jobs/operator.js';
import { extendClone } from '../../src/jobs/operator.js';
import { cloneServer, domainServer, MAIL, memoryDeps, restoresOf, rowsFor, SUB_A } from './sweepSeed.js';

const NOW = '2026-12-10T10:00:00Z';
const PROD_TAGS = { Owner: 'orders-team@contoso.com', Environment: 'production' };
const WRITES = new Set(['mergeTags', 'deleteTags', 'deleteFirewallRule', 'disablePublicAccess', 'stop', 'delete']);

/** Production and its Terraform twin four minutes later: same login, version, region, storage and tags. */
function twins() {
  const prod = domainServer({
    name: 'pg-orders-prod',
    tags: PROD_TAGS,
    createdAt: '2026-06-01T08:00:00Z',
    login: 'ordersadmin',
  });
  const twin: Server = {
    ...domainServer({
      name: 'pg-orders-prod-2',
      tags: PROD_TAGS,
      createdAt: '2026-06-01T08:04:00Z',
      login: 'ordersadmin',
    }),
    publicNetworkAccess: 'Enabled',
    firewallRules: [{ name: 'app', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' }],
    locks: [],
  };
  return { prod, twin };
}

async function world(
  servers: Server[],
  notices: Record<string, NoticeSent[]> = {},
  restoreEvidence = restoresOf(servers),
) {
  const rows = rowsFor(servers, new Date('2026-12-09T10:00:00Z'), notices, { restoreEvidence });
  const t = await memoryDeps({ now: NOW, servers, rows, subscriptions: [SUB_A] });
  const deps: OperatorDeps = { ...t.deps, checkpoints: t.stores.checkpoints, operator: 'dana@contoso.com' };
  const planOf = async (server: Server, extra: { noticesSent?: NoticeSent[] } = {}) => {
    const row = (await t.stores.inventory.get(server.key))?.value;
    const live = (await t.servers.get(server.id, { withFirewallRules: true, withLocks: true })) ?? server;
    return buildPlan({
      now: new Date(NOW),
      policy: DEFAULT_POLICY,
      servers: [...servers.filter((s) => s.key !== server.key), live],
      inventory: row ? [{ ...row, noticesSent: [...row.noticesSent, ...(extra.noticesSent ?? [])] }] : [],
      settings: MAIL,
    }).servers.find((p) => p.key === server.key)!;
  };
  const writes = () => t.servers.calls.filter((c) => WRITES.has(c.op));
  return { ...t, deps, planOf, writes };
}

describe('confirm, dismiss and promote (memory adapters)', () => {
  it('an IaC twin is suspected and only reported; confirm --clone makes the next plan govern it', async () => {
    const { prod, twin } = twins();
    const t = await world([prod, twin]);
    const before = await t.planOf(twin);
    expect(before.proof.level).toBe('suspected');
    expect(before.actions.filter((a) => a.type !== 'skip')).toEqual([]);
    expect(before.actions[0]).toMatchObject({
      type: 'skip',
      reason: 'unproven',
      detail: expect.stringContaining('once confirmed: '),
    });

    const outcome = await confirmServer(
      {
        server: 'pg-orders-prod-2',
        verdict: 'clone',
        reason: 'restored by me for INC-7; checked the restore job',
        source: prod.id,
        point: '2026-06-01T08:02:00Z',
      },
      t.deps,
    );
    expect(outcome).toMatchObject({
      outcome: 'recorded',
      decision: {
        kind: 'confirmed-clone',
        by: 'dana@contoso.com',
        sourceServerId: prod.id,
        restorePointUtc: '2026-06-01T08:02:00Z',
      },
    });
    expect(t.writes()).toEqual([]);
    const evidence = await t.stores.evidence.list(twin.key);
    expect(evidence.find((e) => e.kind === 'confirmed')).toMatchObject({
      actor: 'dana@contoso.com',
      reason: 'restored by me for INC-7; checked the restore job',
    });

    const after = await t.planOf(twin);
    expect(after.proof).toMatchObject({ level: 'proven', basis: 'operator' });
    expect(after.actions.map((a) => a.type)).toEqual(expect.arrayContaining(['tag', 'delete-firewall-rule', 'notify']));
  });

  it('confirm --not-a-clone dismisses it for good: not a clone, off the review list, never changed; a repeat changes nothing', async () => {
    const { prod, twin } = twins();
    const t = await world([prod, twin]);
    await confirmServer(
      { server: twin.id, verdict: 'not-a-clone', reason: 'deployed by Terraform module orders-db' },
      t.deps,
    );
    const plan = await t.planOf(twin);
    expect(plan).toMatchObject({
      classification: 'not-a-clone',
      proof: { level: 'none' },
      actions: [{ type: 'skip', reason: 'not-a-clone' }],
    });
    expect(plan.classificationEvidence[0]).toMatch(/^operator: dismissed by dana@contoso.com/);
    const again = await confirmServer({ server: twin.id, verdict: 'not-a-clone', reason: 'again' }, t.deps);
    expect(again.outcome).toBe('unchanged');
    expect((await t.stores.evidence.list(twin.key)).filter((e) => e.kind === 'dismissed')).toHaveLength(1);
    expect(t.writes()).toEqual([]);
  });

  it('refuses a lineage that contradicts itself, every problem at once, recording nothing', async () => {
    const { prod, twin } = twins();
    const t = await world([prod, twin]);
    const error = await confirmServer(
      { server: twin.name, verdict: 'clone', reason: ' ', source: twin.id, point: '2026-07-01T00:00:00Z' },
      t.deps,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as PreflightError).problems).toEqual([
      expect.stringMatching(/^--reason: say why/),
      '--source/--point: the claimed source is the server itself',
      expect.stringMatching(
        /^--source\/--point: the claimed restore point 2026-07-01T00:00:00Z is after the server's creation/,
      ),
    ]);
    expect((await t.stores.inventory.get(twin.key))?.value.decisions).toBeUndefined();
    expect(await t.stores.evidence.list(twin.key)).toEqual([]);
  });

  it('promote refuses an unproven server (confirm first) and sends nothing to Azure', async () => {
    const { prod, twin } = twins();
    const t = await world([prod, twin]);
    await expect(promoteServer({ server: twin.name, reason: 'cutover' }, t.deps)).rejects.toThrow(
      /not proven a clone \(suspected\).*pitr-warden confirm pg-orders-prod-2 --clone/,
    );
    // Extend goes through the same gate.
    await expect(extendClone({ server: twin.name, until: '2026-12-20' }, t.deps)).rejects.toThrow(/not proven a clone/);
    expect(t.writes()).toEqual([]);
  });

  it('promote ends the lifecycle of a proven clone for good: ExpiresOn removed, lineage kept, never deleted or reminded', async () => {
    const clone = cloneServer('pg-orders-fix', '2026-11-20', { createdAt: '2026-11-01T00:00:00Z' });
    const history = {
      [clone.key]: [
        { stage: 'new-clone' as const, sentAt: '2026-11-01T01:00:00Z', to: 'alice@contoso.com' },
        { stage: 'final-notice' as const, sentAt: '2026-11-20T09:00:00Z', to: 'alice@contoso.com' },
      ],
    };
    const t = await world([{ ...clone, locks: [] }], history);
    expect((await t.planOf(clone)).actions).toEqual([expect.objectContaining({ type: 'delete-server' })]);

    const outcome = await promoteServer(
      { server: clone.name, reason: 'CHG-88: applications now use pg-orders-fix' },
      t.deps,
    );
    expect(outcome).toMatchObject({ outcome: 'recorded', removedTags: { ExpiresOn: '2026-11-20' } });
    expect(t.writes().map((c) => c.op)).toEqual(['deleteTags']);
    const live = t.servers.peek(clone.key)!;
    expect(live.tags.ExpiresOn).toBeUndefined();
    expect(live.tags.RestoredFrom).toBe(clone.tags.RestoredFrom);
    expect((await t.stores.inventory.get(clone.key))!.value).toMatchObject({ state: 'promoted' });
    expect((await t.stores.evidence.list(clone.key)).find((e) => e.kind === 'promoted')).toMatchObject({
      before: { ExpiresOn: '2026-11-20' },
      after: { state: 'promoted', ExpiresOn: null },
    });

    // Someone puts an expiry back: the next plan removes it again; no notice, no deletion.
    t.servers.put({ ...live, tags: { ...live.tags, ExpiresOn: '2026-11-25' } });
    const plan = await t.planOf(clone);
    expect(plan).toMatchObject({ promoted: true, expiresOn: null, violations: [] });
    expect(plan.actions.map((a) => (a.type === 'skip' ? `skip:${a.reason}` : a.type))).toEqual([
      'remove-tags',
      'skip:promoted',
    ]);
  });

  it('a server recreated under the name of a confirmed one (another creation time) starts a fresh record', async () => {
    const { prod, twin } = twins();
    const t = await world([prod, twin]);
    await confirmServer({ server: twin.name, verdict: 'clone', reason: 'restored for INC-7' }, t.deps);
    expect((await t.planOf(twin)).proof.level).toBe('proven');
    const reborn: Server = { ...twin, createdAt: '2026-12-09T00:00:00Z' };
    t.servers.put(reborn);
    const plan = await t.planOf(reborn);
    expect(plan.proof.level).not.toBe('proven');
    expect(plan.actions.filter((a) => a.type !== 'skip')).toEqual([]);
  });
});
