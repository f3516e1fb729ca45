import { QueueServiceClient } from '@azure/storage-queue';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restoreCommand, type OperatorCommandOptions } from '../../src/cli/commands/restore.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { tagCommands } from '../../src/cli/commands/tags.js';
import { loadConfig } from '../../src/config.js';
import { serverId, serverKey } from '../../src/domain/ids.js';
import { buildPlan } from '../../src/domain/plan.js';
import { DEFAULT_RULES } from '../../src/domain/policy.js';
import { governServer } from '../../src/jobs/govern.js';
import type { RestoreRecord, WardenStatus } from '../../src/jobs/operator.js';
import { fixedClock } from '../../src/ports/clock.js';
import { build, type Wired } from '../../src/wiring.js';
import { armRule, armServer, SUB1 } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { operatorRunner } from '../support/operatorCli.js';

const NOW = '2026-11-20T12:00:00Z';
const prod = armServer({
  name: 'pg-orders-prod',
  tags: { Owner: 'orders-team@contoso.com', Environment: 'production', CostCenter: 'CC-1001' },
});
const cloneId = (name: string) => serverId(SUB1, 'rg-prod', name);

describe('operator CLI on the emulator and Azurite', () => {
  const clock = fixedClock(NOW);
  let stack: TestStack;
  let wired: Wired;
  /** Runs one command in-process with captured output and exit status. */
  const run = operatorRunner(() => ({ ...wired, clock }));
  const tag = (name: 'extend' | 'hold' | 'release') => (o: OperatorCommandOptions) =>
    tagCommands(o).find((c) => c.name() === name)!;
  // The name availability check is a POST that only reads.
  const writes = () =>
    ['PUT', 'PATCH', 'DELETE', 'POST'].reduce((n, method) => n + stack.emulator.requests.count({ method }), 0) -
    stack.emulator.requests.count({ operation: 'NameAvailability_CheckWithLocation' });
  const restoreArgs = (over: Record<string, string> = {}) =>
    Object.entries({
      '--source': 'pg-orders-prod',
      '--time': '2026-11-20T08:00:00Z',
      '--name': 'pg-orders-0412',
      '--owner': 'alice@contoso.com',
      '--incident': 'INC-4242',
      '--as': 'alice@contoso.com',
      ...over,
    }).flatMap(([k, v]) => (v === '' ? [] : [k, v]));

  beforeAll(async () => {
    // The office range is allow-listed, so the clone's inherited firewall rule is no violation.
    const policyPath = join(mkdtempSync(join(tmpdir(), 'warden-')), 'policy.json');
    writeFileSync(
      policyPath,
      JSON.stringify({
        rules: DEFAULT_RULES.map((r) =>
          r.type === 'network-firewall' ? { ...r, allowedRanges: ['203.0.113.0/24'] } : r,
        ),
      }),
    );
    stack = await startStack({
      snapshot: {
        servers: [prod],
        firewallRules: { [prod.id]: [armRule(prod.id, 'office', '203.0.113.0', '203.0.113.255')] },
        locks: {},
      },
      now: () => clock.now(),
      settings: { POLICY_PATH: policyPath },
    });
    wired = await build(loadConfig(stack.settings));
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => clock.set(NOW));

  it('restore creates a clone born governed: classified clone from its tags alone, owned by --owner, nothing to fix', async () => {
    const before = stack.emulator.requests.count({ operation: 'Servers_Create' });
    const result = await run(restoreCommand, [...restoreArgs(), '--wait', '--output', 'json']);
    expect(result.exitCode).toBeUndefined();
    const record = JSON.parse(result.stdout) as RestoreRecord;
    expect(record).toMatchObject({
      sourceServerId: prod.id,
      requestedRestorePoint: '2026-11-20T08:00:00Z',
      effectiveRestorePointUtc: '2026-11-20T08:00:00Z',
      newServerId: cloneId('pg-orders-0412'),
      state: 'Ready',
      restoredBy: 'alice@contoso.com',
      owner: 'alice@contoso.com',
      incident: 'INC-4242',
      expiresOn: '2026-11-27T12:00:00Z',
      startedAt: '2026-11-20T12:00:00.000Z',
      durationSeconds: 0,
    });
    expect(result.stderr).toMatch(/restore pg-orders-0412: Accepted[\s\S]*restore pg-orders-0412: Ready/);
    expect(stack.emulator.requests.count({ operation: 'Servers_Create' }) - before).toBe(1);

    // What ARM holds: the tags were in the create request itself.
    const live = (await wired.servers.get(record.newServerId, { withFirewallRules: true, withLocks: true }))!;
    expect(live.tags).toEqual({
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

    // The intake's governing pass, with no Activity Log entry and no peers: the tags alone make it a clone.
    const patchesBefore =
      stack.emulator.requests.count({ method: 'PATCH' }) + stack.emulator.requests.count({ method: 'DELETE' });
    const outcome = await governServer(
      { live, key: live.key, peers: [], restoreEvidence: [], triggerId: 'test', observedAt: NOW },
      { ...wired, clock },
    );
    expect(outcome).toMatchObject({ classification: 'clone', actionsDone: [], failed: [] });
    expect(
      stack.emulator.requests.count({ method: 'PATCH' }) + stack.emulator.requests.count({ method: 'DELETE' }),
    ).toBe(patchesBefore);
    const row = (await wired.inventory.get(live.key))!.value;
    expect(row).toMatchObject({
      classification: 'clone',
      owner: 'alice@contoso.com',
      ownerSource: 'tag-at-restore',
      expiresOn: '2026-11-27T12:00:00Z',
      violations: [],
      compliant: true,
      state: 'governed',
    });
    expect(row.lineage).toMatchObject({
      sourceServerId: prod.id,
      restorePointUtc: '2026-11-20T08:00:00Z',
      restoredBy: 'alice@contoso.com',
    });

    const source = (await wired.servers.get(prod.id, { withFirewallRules: true, withLocks: true }))!;
    const plan = buildPlan({
      now: clock.now(),
      policy: wired.policy,
      servers: [live, source],
      inventory: [row],
      settings: wired.settings,
    }).servers.find((s) => s.key === live.key)!;
    expect(
      plan.actions.filter(
        (a) =>
          a.type === 'tag' ||
          a.type === 'delete-firewall-rule' ||
          a.type === 'disable-public-access' ||
          a.type === 'stop-server',
      ),
    ).toEqual([]);

    const evidence = await wired.evidence.list(live.key);
    expect(evidence.find((e) => e.kind === 'restore')).toMatchObject({
      actor: 'alice@contoso.com',
      reason: 'incident INC-4242',
      details: record,
    });
  });

  it.each([
    [
      'a time outside the window',
      { '--time': '2026-10-01T00:00:00Z', '--name': 'pg-a' },
      /--time 2026-10-01T00:00:00Z .*before the earliest restore point of pg-orders-prod: the restore window is 2026-10-16T12:00:00Z to now/,
    ],
    [
      'a time without zone',
      { '--time': '2026-11-20T10:00:00', '--name': 'pg-b' },
      /--time: "2026-11-20T10:00:00" has no time zone: add Z for UTC/,
    ],
    ['a taken name', { '--name': 'pg-orders-prod' }, /--name: a server named pg-orders-prod already exists/],
    [
      'an owner outside the allowed domains',
      { '--owner': 'eve@gmail.com', '--name': 'pg-c' },
      /--owner: "eve@gmail.com" is not in an allowed domain \(contoso.com, example.com\)/,
    ],
    ['a TTL over the maximum', { '--ttl': '45d', '--name': 'pg-d' }, /--ttl 45d: over the maximum lifetime of 30 days/],
  ])('restore preflight refuses %s, sending no write', async (_label, over, message) => {
    const writesBefore = writes();
    const result = await run(restoreCommand, restoreArgs(over));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^pitr-warden restore: The restore was refused before anything was changed \(1 problem\)/,
    );
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(writes() - writesBefore).toBe(0);
  });

  it('restore preflight reports every problem in one message, sending no write', async () => {
    const writesBefore = writes();
    const result = await run(
      restoreCommand,
      restoreArgs({
        '--time': '2026-11-20T10:00:00',
        '--name': 'pg-orders-prod',
        '--owner': 'eve@gmail.com',
        '--ttl': '45d',
        '--purpose': 'also',
      }),
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/\(5 problems\)/);
    for (const option of [
      '--time:',
      '--name: a server named pg-orders-prod already exists',
      '--owner:',
      'not both',
      '--ttl 45d',
    ])
      expect(result.stderr).toContain(option);
    expect(writes() - writesBefore).toBe(0);
    expect(stack.emulator.requests.count({ method: 'PUT' })).toBe(1);
  });

  it('restore preflight asks Azure whether the name is free: a name used in another subscription is refused, nothing created', async () => {
    const { PostgreSQLManagementFlexibleServerClient } = await import('@azure/arm-postgresql-flexible');
    const { armClientOptions } = await import('../../src/local/emulator/index.js');
    const elsewhere = new PostgreSQLManagementFlexibleServerClient(
      stack.emulator.credential,
      '00000000-0000-4000-8000-0000000000aa',
      armClientOptions(stack.emulator),
    );
    await elsewhere.servers.beginCreateOrUpdateAndWait('rg-other-team', 'pg-orders-0999', {
      location: 'eastus',
      sku: { name: 'Standard_B1ms', tier: 'Burstable' },
      administratorLogin: 'adm',
      administratorLoginPassword: 'x',
    });
    const checks = stack.emulator.requests.count({ operation: 'NameAvailability_CheckWithLocation' });
    const creates = stack.emulator.requests.count({ operation: 'Servers_Create' });
    const result = await run(restoreCommand, restoreArgs({ '--name': 'pg-orders-0999' }));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      '--name: pg-orders-0999 is not available: AlreadyExists: Specified server name is already used. (a flexible server name is unique across all of Azure, not only your subscriptions); choose another',
    );
    expect(stack.emulator.requests.count({ operation: 'NameAvailability_CheckWithLocation' }) - checks).toBe(1);
    expect(stack.emulator.requests.count({ operation: 'Servers_Create' }) - creates).toBe(0);
  });

  it('restore preflight refuses a target resource group the policy does not allow', async () => {
    const writesBefore = writes();
    const result = await run(restoreCommand, restoreArgs({ '--resource-group': 'rg-elsewhere', '--name': 'pg-e' }));
    expect(result).toMatchObject({
      exitCode: 2,
      stderr: expect.stringContaining(
        "--resource-group rg-elsewhere: only the source's own resource group rg-prod is allowed",
      ),
    });
    expect(writes() - writesBefore).toBe(0);
  });

  it('a refused permission names the action, and the failed attempt is in the evidence log', async () => {
    stack.emulator.faults.add({
      operation: 'Servers_Create',
      status: 403,
      errorCode: 'AuthorizationFailed',
      errorMessage: 'The client does not have authorization to perform this operation.',
      times: 1,
    });
    await expect(run(restoreCommand, restoreArgs({ '--name': 'pg-denied' }))).rejects.toThrow(
      /403 AuthorizationFailed.*lacks permission for Microsoft\.DBforPostgreSQL\/flexibleServers\/write/,
    );
    const evidence = await wired.evidence.list(serverKey(cloneId('pg-denied')));
    expect(evidence).toEqual([
      expect.objectContaining({
        kind: 'action-failed',
        actor: 'alice@contoso.com',
        summary: expect.stringContaining('restore of pg-orders-prod to pg-denied'),
      }),
    ]);
  });

  it('throttling after the SDK retries reads as such, and nothing is recorded as done', async () => {
    stack.emulator.faults.add({ operation: 'Tags_UpdateAtScope', status: 429, retryAfterSeconds: 0, times: 10 });
    try {
      await expect(
        run(tag('extend'), ['pg-orders-0412', '--until', '2026-12-01', '--as', 'alice@contoso.com']),
      ).rejects.toThrow(/429.*throttled by ARM after the SDK retries: run again later/);
    } finally {
      stack.emulator.faults.clear();
    }
    const kinds = (await wired.evidence.list(serverKey(cloneId('pg-orders-0412')))).map((e) => e.kind);
    expect(kinds).not.toContain('extend');
  });

  it('extend moves ExpiresOn within the maximum lifetime and refuses beyond it without a write', async () => {
    const writesBefore = writes();
    const refused = await run(tag('extend'), ['pg-orders-0412', '--until', '2026-12-21', '--as', 'alice@contoso.com']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(
      /beyond the maximum lifetime of 30 days .*the latest allowed is 2026-12-20T12:00:00Z/,
    );
    const unparseable = await run(tag('extend'), [
      'pg-orders-0412',
      '--until',
      'next friday',
      '--as',
      'alice@contoso.com',
    ]);
    expect(unparseable).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('"next friday" is not a date') });
    expect(writes() - writesBefore).toBe(0);

    const ok = await run(tag('extend'), [
      'pg-orders-0412',
      '--until',
      '2026-12-15',
      '--reason',
      'investigation continues',
      '--as',
      'alice@contoso.com',
      '--output',
      'json',
    ]);
    expect(ok.exitCode).toBeUndefined();
    expect(JSON.parse(ok.stdout)).toMatchObject({
      outcome: 'changed',
      before: { ExpiresOn: '2026-11-27T12:00:00Z' },
      after: { ExpiresOn: '2026-12-15T00:00:00Z' },
    });
    expect((await wired.servers.get(cloneId('pg-orders-0412')))!.tags.ExpiresOn).toBe('2026-12-15T00:00:00Z');
    const entry = (await wired.evidence.list(serverKey(cloneId('pg-orders-0412')))).find((e) => e.kind === 'extend');
    expect(entry).toMatchObject({
      actor: 'alice@contoso.com',
      reason: 'investigation continues',
      after: { ExpiresOn: '2026-12-15T00:00:00Z' },
    });
  });

  it('hold stops the sweep from deleting (skip legal-hold); release deletes the tag and the sweep may delete again', async () => {
    const id = cloneId('pg-orders-0412');
    const held = await run(tag('hold'), [
      'pg-orders-0412',
      '--reason',
      'litigation INC-9',
      '--as',
      'alice@contoso.com',
    ]);
    expect(held.exitCode).toBeUndefined();
    expect(held.stdout).toContain('hold pg-orders-0412: LegalHold: (none) -> litigation INC-9');
    const live = (await wired.servers.get(id, { withFirewallRules: true, withLocks: true }))!;
    expect(live.tags.LegalHold).toBe('litigation INC-9');

    // The sweep's view well after expiry, with the final notice sent and the grace over.
    const later = new Date('2026-12-30T12:00:00Z');
    const noticesSent = [
      { server: id, stage: 'new-clone' as const, sentAt: '2026-11-20T12:05:00Z' },
      { server: id, stage: 'final-notice' as const, sentAt: '2026-12-15T09:00:00Z' },
    ];
    // The row carries the proof recorded at the governed restore.
    const row = (await wired.inventory.get(live.key))!.value;
    const sweep = (server: typeof live) =>
      buildPlan({
        now: later,
        policy: wired.policy,
        servers: [server],
        inventory: [row],
        noticesSent,
        settings: wired.settings,
      }).servers[0]!;
    expect(sweep(live).held).toBe(true);
    expect(sweep(live).actions).toContainEqual({
      type: 'skip',
      reason: 'legal-hold',
      detail: expect.stringContaining('under legal hold'),
    });
    expect(sweep(live).actions.map((a) => a.type)).not.toContain('delete-server');

    const tagsRequests = stack.emulator.requests.count({ operation: 'Tags_UpdateAtScope' });
    const released = await run(tag('release'), ['pg-orders-0412', '--as', 'alice@contoso.com', '--output', 'json']);
    expect(JSON.parse(released.stdout)).toMatchObject({
      outcome: 'changed',
      before: { LegalHold: 'litigation INC-9' },
      after: { LegalHold: null },
    });
    expect(stack.emulator.requests.count({ operation: 'Tags_UpdateAtScope' }) - tagsRequests).toBe(1);
    const after = (await wired.servers.get(id, { withFirewallRules: true, withLocks: true }))!;
    expect(after.tags).not.toHaveProperty('LegalHold');
    expect(sweep(after).actions.map((a) => a.type)).toEqual(['delete-server']);

    const again = await run(tag('release'), ['pg-orders-0412', '--as', 'alice@contoso.com']);
    expect(again.stdout).toContain('nothing to change (not under legal hold by tag)');
    expect(stack.emulator.requests.count({ operation: 'Tags_UpdateAtScope' }) - tagsRequests).toBe(1);
    const kinds = (await wired.evidence.list(serverKey(id))).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'hold' || k === 'release')).toEqual(['hold', 'release']);
  });

  it('tag commands refuse a server that is not a clone, by name or id', async () => {
    const writesBefore = writes();
    await expect(run(tag('hold'), [prod.id, '--reason', 'x', '--as', 'alice@contoso.com'])).rejects.toThrow(
      /Cannot hold pg-orders-prod: it is not a clone/,
    );
    await expect(
      run(tag('extend'), ['pg-nowhere', '--until', '2026-12-01', '--as', 'alice@contoso.com']),
    ).rejects.toThrow(/no server named pg-nowhere/);
    expect(writes() - writesBefore).toBe(0);
  });

  describe('status', () => {
    const queues = () => QueueServiceClient.fromConnectionString(stack.azurite.connectionString);
    const seed = async (successes: Record<string, string>) => {
      for (const [job, at] of Object.entries(successes)) {
        await wired.runs.started(job, at);
        await wired.runs.finished(job, at, { ok: true });
      }
    };

    it('is healthy when every job succeeded recently, with queue depths and clones by state', async () => {
      await seed({
        reconcile: '2026-11-20T11:55:30Z',
        sendOwnerNotices: '2026-11-20T11:00:10Z',
        sendFinopsSummary: '2026-11-16T08:00:05Z',
        sendReviewDigest: '2026-11-20T11:00:12Z',
        deleteExpiredClones: '2026-11-19T15:30:20Z',
      });
      const poison = queues().getQueueClient('resource-events-poison');
      await poison.createIfNotExists();
      await poison.sendMessage('e30=');
      const result = await run(statusCommand, ['--output', 'json']);
      expect(result.exitCode).toBeUndefined();
      const status = JSON.parse(result.stdout) as WardenStatus;
      expect(status).toMatchObject({
        healthy: true,
        problems: [],
        clones: { total: 1, governed: 1 },
        warnings: ['resource-events-poison: 1 message(s) the intake gave up on'],
      });
      expect(status.queues).toEqual({
        events: { name: 'resource-events', depth: expect.any(Number) },
        poison: { name: 'resource-events-poison', depth: 1 },
      });
      expect(status.queues.events.depth).toBeGreaterThan(0);
      expect(status.jobs.map((j) => [j.job, j.status])).toEqual([
        ['reconcile', 'ok'],
        ['sendOwnerNotices', 'ok'],
        ['sendFinopsSummary', 'ok'],
        ['sendReviewDigest', 'ok'],
        ['deleteExpiredClones', 'ok'],
        ['runRestoreDrills', 'disabled'],
      ]);
    });

    it('exits 1 when a job has not succeeded within twice its schedule', async () => {
      await seed({ reconcile: '2026-11-20T10:00:00Z' });
      const result = await run(statusCommand, []);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(/UNHEALTHY/);
      expect(result.stdout).toMatch(
        /problem: reconcile: no success since 2026-11-20T10:00:00Z: missed the runs of 2026-11-20T10:05:00Z and 2026-11-20T10:10:00Z/,
      );
      expect(result.stdout).toMatch(
        /reconcile\s+0 \*\/5 \* \* \* \*\s+2026-11-20T10:00:00Z\s+succeeded\s+2026-11-20T10:00:00Z\s+2026-11-20T10:15:00Z\s+stale/,
      );
    });
  });
});
