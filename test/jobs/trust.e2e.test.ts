import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcsMailer } from '../../src/adapters/azure/email/mailer.js';
import { confirmCommand, promoteCommand } from '../../src/cli/commands/decisions.js';
import type { OperatorCommandOptions } from '../../src/cli/commands/restore.js';
import { tagCommands } from '../../src/cli/commands/tags.js';
import { loadConfig } from '../../src/config.js';
import { serverKey } from '../../src/domain/ids.js';
import { sendOwnerNotices } from '../../src/jobs/notices.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { sendReviewDigest } from '../../src/jobs/review.js';
import { sweep, type SweepOptions } from '../../src/jobs/sweep.js';
import { emailClientOptions, type ActivityLogEntry } from '../../src/local/emulator/index.js';
import type { MailboxMessage } from '../../src/local/emulator/acs/mailbox.js';
import { fixedClock } from '../../src/ports/clock.js';
import { build, type Wired } from '../../src/wiring.js';
import { armRule, armServer } from '../support/estate.js';
import { restoreLogEntries } from '../support/restoreLog.js';
import { startStack, type TestStack } from '../support/stack.js';

/** The day the warden is installed: its first reconcile. */
const NOW = '2026-12-07T09:00:00.000Z';
const DAY = 24 * 3_600_000;
const REVIEW = 'platform-review@contoso.com';
const PROD_TAGS = { Owner: 'orders-team@contoso.com', Environment: 'production', CostCenter: 'CC-1001' };
const ENFORCE: SweepOptions = {
  mode: 'enforce',
  maxDeletionsPerRun: 10,
  maxDeletionPercent: 100,
  maxDisagreementPercent: 25,
};

// Production and two servers deployed from the same Terraform module minutes later: same login, version, region,
// storage and tags.
const prod = armServer({
  name: 'pg-orders-prod',
  createdAt: '2025-03-01T08:00:00Z',
  administratorLogin: 'ordersadmin',
  tags: PROD_TAGS,
});
const twin = armServer({
  name: 'pg-orders-prod-2',
  createdAt: '2025-03-01T08:04:00Z',
  administratorLogin: 'ordersadmin',
  tags: PROD_TAGS,
});
const twinB = armServer({
  name: 'pg-orders-prod-3',
  createdAt: '2025-03-01T08:09:00Z',
  administratorLogin: 'ordersadmin',
  tags: PROD_TAGS,
});
// A two-year-old production server with forged lineage tags: a source created after it, a restore point after its
// creation, an expiry long past.
const paymentsV2 = armServer({
  name: 'pg-payments-v2',
  createdAt: '2025-05-01T08:00:00Z',
  administratorLogin: 'payadmin2',
  tags: { Owner: 'payments-team@contoso.com' },
});
const forged = armServer({
  name: 'pg-payments-prod',
  createdAt: '2024-06-01T08:00:00Z',
  administratorLogin: 'payadmin',
  tags: {
    Owner: 'payments-team@contoso.com',
    Environment: 'production',
    RestoredFrom: paymentsV2.id,
    RestorePointUtc: '2026-10-01T00:00:00Z',
    ExpiresOn: '2026-10-15',
    Incident: 'INC-1',
  },
});
// Lineage tags that hold together, but nothing proves them (restored by hand, its record gone): claimed.
const claimed = armServer({
  name: 'pg-crm-restore',
  createdAt: '2026-12-01T10:00:00Z',
  administratorLogin: 'crmadmin',
  tags: {
    Owner: 'carol@contoso.com',
    RestoredFrom: prod.id,
    RestorePointUtc: '2026-12-01T09:00:00Z',
    Incident: 'INC-7',
  },
});
// Two clones restored 40 and 39 days before the warden was installed; Azure still has their restore records.
const cloneTags = (point: string) => ({
  ...PROD_TAGS,
  RestoredFrom: prod.id,
  RestorePointUtc: point,
  RestoredBy: 'alice@contoso.com',
  Incident: 'INC-4711',
});
const clone40 = armServer({
  name: 'pg-orders-pitr-1028',
  createdAt: '2026-10-28T09:00:00Z',
  administratorLogin: 'ordersadmin',
  tags: cloneTags('2026-10-28T07:00:00Z'),
});
const control = armServer({
  name: 'pg-orders-pitr-1029',
  createdAt: '2026-10-29T09:00:00Z',
  administratorLogin: 'ordersadmin',
  tags: cloneTags('2026-10-29T07:00:00Z'),
});
const UNPROVEN = [twin, twinB, forged, claimed];

const allowAll = (s: { id: string }) => armRule(s.id, 'allow-all', '0.0.0.0', '255.255.255.255');
const office = (s: { id: string }) => armRule(s.id, 'office', '203.0.113.0', '203.0.113.255');
const snapshot = {
  servers: [prod, twin, twinB, paymentsV2, forged, claimed, clone40, control],
  firewallRules: Object.fromEntries(
    [prod, twinB, paymentsV2]
      .map((s) => [s.id, [office(s)]])
      .concat([twin, forged, claimed, clone40, control].map((s) => [s.id, [office(s), allowAll(s)]])),
  ),
  locks: {},
  // Only the two real restores are in the Activity Log.
  activityLog: restoreLogEntries([clone40, control]) as ActivityLogEntry[],
};

/**
 * Trust before touch, end to end on the emulator and Azurite with the emulator's request log as witness: one stack, the
 * tests in order, the warden installed on NOW and run day after day.
 */
describe('trust before touch on the emulator: review, confirm, dismiss, promote', () => {
  const clock = fixedClock(NOW);
  let stack: TestStack;
  let deps: Wired;

  beforeAll(async () => {
    stack = await startStack({ snapshot, now: () => clock.now(), settings: { REVIEW_MAILBOX: REVIEW } });
    const wired = await build(loadConfig(stack.settings));
    const mailer = createAcsMailer({
      sender: wired.config.mail.sender,
      connectionString: stack.emulator.acsConnectionString,
      clientOptions: emailClientOptions(stack.emulator),
      pollIntervalInMs: 10,
    });
    deps = { ...wired, clock, mailer };
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Requests that change a server (PUT, PATCH, DELETE, POST actions) whose target is the server named, in order. */
  const writesTo = (server: { name: string }) =>
    stack.emulator.requests
      .entries()
      .filter(
        (r) => ['PUT', 'PATCH', 'DELETE', 'POST'].includes(r.method) && serverOf(r.path) === server.name.toLowerCase(),
      );
  const operations = (server: { name: string }) => writesTo(server).map((r) => `${r.method} ${r.operation}`);
  const row = async (server: { id: string }) => (await deps.inventory.get(serverKey(server.id)))!.value;
  const reviewMails = () => stack.emulator.mailbox.list().filter((m) => m.to.some((t) => t.address === REVIEW));
  const ownerMails = () => stack.emulator.mailbox.list().filter((m) => !m.to.some((t) => t.address === REVIEW));
  const text = (m: MailboxMessage) => `${m.subject}\n${m.plainText ?? ''}\n${m.html ?? ''}`;
  const liveTags = (server: { name: string }) =>
    (stack.emulator.snapshot().servers as { name: string; tags?: Record<string, string> }[]).find(
      (s) => s.name === server.name,
    )?.tags;
  const nextDay = () => clock.set(new Date(clock.now().getTime() + DAY));

  /** Runs one CLI command in-process, as `pitr-warden ...` would, with captured output and exit status. */
  async function cli(make: (o: OperatorCommandOptions) => Command | Command[], args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    let exitCode: number | undefined;
    const options: OperatorCommandOptions = {
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
      setExitCode: (code) => (exitCode = code),
      env: {},
      deps: () => Promise.resolve(deps),
    };
    const made = make(options);
    const command = Array.isArray(made) ? made.find((c) => c.name() === args[0])! : made;
    command.exitOverride().configureOutput({ writeOut: (t) => out.push(t), writeErr: (t) => err.push(t) });
    await command.parseAsync(Array.isArray(made) ? args.slice(1) : args, { from: 'user' });
    return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode };
  }
  const as = ['--as', 'dana@contoso.com'];

  it('a clone restored 40 days before installation is proven from the Activity Log on the first reconcile', async () => {
    const outcome = await reconcile(deps);
    expect(outcome.failed).toEqual([]);
    for (const clone of [clone40, control]) {
      expect((await row(clone)).proof).toMatchObject({
        level: 'proven',
        basis: 'activity-log',
        evidence: [
          expect.stringMatching(/^activity log: PointInTimeRestore of .*pg-orders-prod .* at 2026-10-2\dT09:00:05/),
        ],
      });
      // Governed at once: its open rule deleted, its tags written.
      expect(operations(clone)).toEqual(
        expect.arrayContaining(['DELETE FirewallRules_Delete', 'PATCH Tags_UpdateAtScope']),
      );
    }
  });

  it('an IaC twin, a forged and a claimed server are reported and listed for review with zero ARM writes', async () => {
    for (const server of [...UNPROVEN, prod, paymentsV2]) expect(operations(server), server.name).toEqual([]);
    expect(await row(twin)).toMatchObject({ classification: 'probable-clone', proof: { level: 'suspected' } });
    expect((await row(twin)).violations).toContainEqual(
      expect.objectContaining({ rule: 'network-firewall', detail: expect.stringContaining('"allow-all"') }),
    );
    expect((await row(forged)).proof).toMatchObject({
      level: 'claimed',
      contradictions: [
        expect.stringMatching(/restore point 2026-10-01T00:00:00Z is after the server's creation/),
        expect.stringMatching(/source pg-payments-v2 was created 2025-05-01T08:00:00(\.000)?Z, after this server/),
      ],
    });
    expect((await row(claimed)).proof).toMatchObject({ level: 'claimed', contradictions: [] });

    expect(await sendReviewDigest(deps)).toMatchObject({ sent: true, to: REVIEW, servers: 4 });
    const [mail] = reviewMails();
    expect(mail!.subject).toBe('[pitr-warden] Review: 4 servers not proven to be restores (2 claimed, 2 suspected)');
    for (const server of UNPROVEN) {
      expect(mail!.plainText).toContain(`== ${server.name} (`);
      expect(mail!.plainText).toContain(`pitr-warden confirm ${server.name} --clone --reason "..."`);
      expect(mail!.plainText).toContain(`pitr-warden confirm ${server.name} --not-a-clone --reason "..."`);
    }
    expect(mail!.plainText).toContain('delete firewall rule "allow-all" (0.0.0.0-255.255.255.255)');
    expect(mail!.plainText).toMatch(/matches .*pg-orders-prod created earlier/);
    // A second run the same day sends none.
    expect(await sendReviewDigest(deps)).toMatchObject({
      sent: false,
      skipped: expect.stringMatching(/^today's review digest was sent/),
    });
    expect(reviewMails()).toHaveLength(1);

    // The owners of the proven clones hear; nobody hears of an unproven server.
    await sendOwnerNotices(deps);
    expect(ownerMails().length).toBeGreaterThan(0);
    for (const m of ownerMails())
      for (const server of UNPROVEN) expect(text(m), `${m.subject} names ${server.name}`).not.toContain(server.name);
    for (const server of UNPROVEN) expect(operations(server), server.name).toEqual([]);
  });

  it('extend, hold and release refuse an unproven server with exit 2, naming it, its proof and how to confirm it', async () => {
    const cases = [
      {
        args: ['extend', twin.name, '--until', '2026-12-20'],
        match:
          /Refused to extend pg-orders-prod-2: it is not proven a clone \(suspected\).*pitr-warden confirm pg-orders-prod-2 --clone --reason/,
      },
      {
        args: ['hold', forged.name, '--reason', 'keep'],
        match:
          /Refused to hold pg-payments-prod: it is not proven a clone \(claimed\).*pitr-warden confirm pg-payments-prod --clone --reason/,
      },
      {
        args: ['release', claimed.name],
        match:
          /Refused to release pg-crm-restore: it is not proven a clone \(claimed\).*pitr-warden confirm pg-crm-restore --not-a-clone --reason/,
      },
    ];
    for (const c of cases) {
      const result = await cli(tagCommands, [...c.args, ...as]);
      expect(result.exitCode, c.args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(c.match);
      expect(result.stdout).toBe('');
    }
    for (const server of UNPROVEN) expect(operations(server), server.name).toEqual([]);
  });

  it('confirm --not-a-clone keeps a twin off the review digest for good, and it is never changed', async () => {
    const dismissed = await cli(confirmCommand, [
      twinB.name,
      '--not-a-clone',
      '--reason',
      'deployed by the orders Terraform module',
      ...as,
    ]);
    expect(dismissed.exitCode).toBeUndefined();
    expect(dismissed.stdout).toMatch(/^confirm pg-orders-prod-3: dismissed/);
    for (let day = 1; day <= 2; day++) {
      nextDay();
      expect((await reconcile(deps)).failed).toEqual([]);
      expect(await sendReviewDigest(deps)).toMatchObject({ sent: true, servers: 3 });
      const latest = reviewMails().at(-1)!;
      expect(latest.plainText).not.toContain(twinB.name);
      expect(latest.plainText).toContain(`== ${twin.name} (`);
    }
    expect(await row(twinB)).toMatchObject({ classification: 'not-a-clone', proof: { level: 'none' } });
    expect(operations(twinB)).toEqual([]);
  });

  it('confirm --clone makes the next reconcile govern the twin and the claimed server (writes appear)', async () => {
    for (const server of [twin, claimed]) {
      const result = await cli(confirmCommand, [
        server.name,
        '--clone',
        '--reason',
        'restored for INC-7 (checked the restore job)',
        ...as,
      ]);
      expect(result.exitCode, result.stderr).toBeUndefined();
      // The command itself changes nothing in Azure.
      expect(operations(server)).toEqual([]);
    }
    expect((await reconcile(deps)).failed).toEqual([]);
    for (const server of [twin, claimed]) {
      expect((await row(server)).proof).toMatchObject({ level: 'proven', basis: 'operator' });
      expect(operations(server), server.name).toEqual(
        expect.arrayContaining(['DELETE FirewallRules_Delete', 'PATCH Tags_UpdateAtScope']),
      );
      expect(liveTags(server)?.ExpiresOn).toMatch(/^2026-12-/);
    }
    nextDay();
    expect(await sendReviewDigest(deps)).toMatchObject({ sent: true, servers: 1 });
    expect(reviewMails().at(-1)!.plainText).toContain(`== ${forged.name} (claimed)`);
  });

  it('promote removes ExpiresOn (Tags API) and the sweep never deletes it; the forged server is never deleted either', async () => {
    const before = operations(clone40).length;
    const promoted = await cli(promoteCommand, [
      clone40.name,
      '--reason',
      'CHG-88: applications now use pg-orders-pitr-1028',
      ...as,
    ]);
    expect(promoted.exitCode, promoted.stderr).toBeUndefined();
    expect(operations(clone40).slice(before)).toEqual(['PATCH Tags_UpdateAtScope']);
    expect(liveTags(clone40)?.ExpiresOn).toBeUndefined();
    expect(liveTags(clone40)?.RestoredFrom).toBe(prod.id);

    // Day after day, as the timers would: the identical control clone runs its whole schedule and is deleted; the
    // promoted clone and the forged production server stay.
    let days = 0;
    while (liveTags(control) !== undefined && days++ < 40) {
      nextDay();
      expect((await reconcile(deps)).failed).toEqual([]);
      await sendOwnerNotices(deps);
      const swept = await sweep(deps, ENFORCE);
      expect(swept.failed).toEqual([]);
      expect(swept.deleted.map((d) => d.name)).not.toContain(clone40.name);
    }
    expect(liveTags(control), 'the control clone was deleted by the sweep').toBeUndefined();
    expect(operations(control)).toContain('DELETE Servers_Delete');
    for (const kept of [clone40, forged]) {
      expect(operations(kept), kept.name).not.toContain('DELETE Servers_Delete');
      expect(liveTags(kept), kept.name).toBeDefined();
    }
    expect(await row(clone40)).toMatchObject({ state: 'promoted' });
    expect(liveTags(clone40)?.ExpiresOn).toBeUndefined();
    expect(operations(forged)).toEqual([]);
    // Its owner was never told it would be deleted, and it is still on the review list.
    for (const m of ownerMails()) expect(text(m)).not.toContain(forged.name);
    expect(reviewMails().at(-1)!.plainText).toContain(`== ${forged.name} (claimed)`);
  });
});

/** The server a request targets (`.../flexibleServers/<name>/...`), lower-case; undefined for other resources. */
function serverOf(path: string): string | undefined {
  const parts = decodeURIComponent(path).split('?')[0]!.split('/');
  const at = parts.findIndex((p) => p.toLowerCase() === 'flexibleservers');
  return at >= 0 ? parts[at + 1]?.toLowerCase() : undefined;
}
