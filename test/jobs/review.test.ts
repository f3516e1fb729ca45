import { describe, expect, it } from 'vitest';
import { MemoryMailer } from '../../src/adapters/memory/mailer.js';
import { loadTemplates } from '../../src/adapters/noticeTemplates.js';
import { loadConfig } from '../../src/config.js';
import type { NoticeSent, Server } from '../../src/domain/model.js';
import { confirmServer, promoteServer } from '../../src/jobs/decisions.js';
import { previewOwnerNotices, sendOwnerNotices, type NoticesDeps } from '../../src/jobs/notices.js';
import type { OperatorDeps } from '../../src/jobs/operator.js';
import { REVIEW_DIGEST_CHECKPOINT, sendReviewDigest } from '../../src/jobs/review.js';
import { tablePrices } from './notices.support.js';
import { cloneServer, domainServer, memoryDeps, restoresOf, rowsFor, SUB_A } from './sweepSeed.js';

const NOW = '2026-12-10T10:00:00Z';
const DAY = 24 * 3_600_000;
const PROD_TAGS = { Owner: 'orders-team@contoso.com', Environment: 'production' };
const WRITES = new Set(['mergeTags', 'deleteTags', 'deleteFirewallRule', 'disablePublicAccess', 'stop', 'delete']);

/**
 * Production, two Terraform twins of it (4 and 9 minutes later), a two-year-old production server whose lineage tags
 * are forged (its own id as source, a restore point after its creation, an expiry long past), and one proven clone.
 */
function estate() {
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
  const twinB = domainServer({
    name: 'pg-orders-prod-3',
    tags: PROD_TAGS,
    createdAt: '2026-06-01T08:09:00Z',
    login: 'ordersadmin',
  });
  const forgedBase = domainServer({ name: 'pg-payments-prod', createdAt: '2024-06-01T08:00:00Z' });
  const forged: Server = {
    ...forgedBase,
    tags: {
      Owner: 'payments-team@contoso.com',
      Environment: 'production',
      RestoredFrom: forgedBase.id,
      RestorePointUtc: '2026-11-01T00:00:00Z',
      ExpiresOn: '2026-11-15',
      Incident: 'INC-0',
    },
  };
  const fix = cloneServer('pg-orders-fix', '2026-12-20', { createdAt: '2026-12-08T00:00:00Z' });
  const promoted = cloneServer('pg-orders-service', '2026-12-20', { createdAt: '2026-12-01T00:00:00Z' });
  return { prod, twin, twinB, forged, fix, promoted, all: [prod, twin, twinB, forged, fix, promoted] };
}

/** Memory deps for the notice and review jobs, rows as reconcile wrote them yesterday (only the real clones have a restore record). */
async function world(settings: Record<string, string> = {}) {
  const e = estate();
  // The forged server's owner was "told" before (a history from an earlier version): still nothing goes out.
  const history: Record<string, NoticeSent[]> = {
    [e.forged.key]: [
      { stage: 'new-clone', sentAt: '2026-11-01T09:00:00Z', to: 'payments-team@contoso.com' },
      { stage: 'final-notice', sentAt: '2026-11-16T09:00:00Z', to: 'payments-team@contoso.com' },
    ],
  };
  const rows = rowsFor(e.all, new Date(Date.parse(NOW) - DAY), history, {
    restoreEvidence: restoresOf([e.fix, e.promoted]),
  });
  const t = await memoryDeps({ now: NOW, servers: e.all, rows, subscriptions: [SUB_A] });
  const config = loadConfig({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    GOVERNED_SUBSCRIPTION_IDS: SUB_A,
    FALLBACK_MAILBOX: 'dba-team@contoso.com',
    ALLOWED_RECIPIENT_DOMAINS: 'contoso.com',
    REVIEW_MAILBOX: 'platform-review@contoso.com',
    ...settings,
  });
  const mailer = new MemoryMailer(t.clock);
  const templates = await loadTemplates();
  const deps: NoticesDeps = {
    ...t.deps,
    checkpoints: t.stores.checkpoints,
    activity: { list: () => Promise.resolve([]) },
    config,
    mailer,
    prices: await tablePrices(),
    templates: () => Promise.resolve(templates),
  };
  const operator: OperatorDeps = { ...t.deps, checkpoints: t.stores.checkpoints, operator: 'dana@contoso.com' };
  await confirmServer(
    { server: e.twinB.name, verdict: 'not-a-clone', reason: 'deployed by Terraform module orders-db' },
    operator,
  );
  await promoteServer({ server: e.promoted.name, reason: 'CHG-88: applications now use pg-orders-service' }, operator);
  const writes = () => t.servers.calls.filter((c) => WRITES.has(c.op));
  const sleep = (ms: number) => {
    t.clock.advance(ms);
    return Promise.resolve();
  };
  return { ...t, e, deps, mailer, writes, sleep };
}

describe('the review digest (memory adapters)', () => {
  it('lists each claimed and suspected server with its evidence, what confirming would do and the exact commands, to REVIEW_MAILBOX', async () => {
    const w = await world();
    const writesBefore = w.writes().length;
    const outcome = await sendReviewDigest(w.deps, { sleep: w.sleep });
    expect(outcome).toMatchObject({ sent: true, to: 'platform-review@contoso.com', servers: 2, problems: [] });
    expect(w.mailer.sent).toHaveLength(1);
    const mail = w.mailer.sent[0]!;
    expect(mail.to).toBe('platform-review@contoso.com');
    expect(mail.subject).toBe('[pitr-warden] Review: 2 servers not proven to be restores (1 claimed, 1 suspected)');
    for (const text of [mail.plainText, mail.html]) {
      // The twin: suspected, with the evidence, the firewall rule and tags confirming would change, and both commands.
      expect(text).toContain('pg-orders-prod-2');
      expect(text).toMatch(/matches .*pg-orders-prod created earlier/);
      expect(text).toContain(
        'delete firewall rule &quot;app&quot; (0.0.0.0-255.255.255.255)'.replace(
          /&quot;/g,
          text === mail.html ? '&quot;' : '"',
        ),
      );
      expect(text).toContain(
        'pitr-warden confirm pg-orders-prod-2 --clone --reason &quot;...&quot;'.replace(
          /&quot;/g,
          text === mail.html ? '&quot;' : '"',
        ),
      );
      expect(text).toContain(
        'pitr-warden confirm pg-orders-prod-2 --not-a-clone --reason &quot;...&quot;'.replace(
          /&quot;/g,
          text === mail.html ? '&quot;' : '"',
        ),
      );
      // The forged one: claimed, and its claim contradicts itself.
      expect(text).toContain('pg-payments-prod');
      expect(text).toContain('the claimed source is the server itself');
      expect(text).toContain("is after the server's creation".replace("'", text === mail.html ? '&#39;' : "'"));
      // Never: the dismissed twin, the promoted service, the proven clone, production.
      for (const name of ['pg-orders-prod-3', 'pg-orders-service', 'pg-orders-fix']) expect(text).not.toContain(name);
    }
    expect(mail.plainText).not.toMatch(/^== pg-orders-prod \(/m);
    expect(mail.html).not.toMatch(/>pg-orders-prod <small/);
    // Listed, not touched: reads only; each listed server's evidence says so.
    expect(w.writes().length).toBe(writesBefore);
    expect((await w.stores.evidence.list(w.e.twin.key)).filter((x) => x.kind === 'review-listed')).toEqual([
      expect.objectContaining({
        id: 'review-listed:2026-12-10',
        summary: expect.stringContaining('nothing changed on it'),
        details: expect.objectContaining({ to: 'platform-review@contoso.com', proof: 'suspected' }),
      }),
    ]);
  });

  it('sends at most one a day: a second run the same day sends none, the next day sends again', async () => {
    const w = await world();
    expect((await sendReviewDigest(w.deps, { sleep: w.sleep })).sent).toBe(true);
    w.clock.advance(4 * 3_600_000);
    const again = await sendReviewDigest(w.deps, { sleep: w.sleep });
    expect(again).toMatchObject({
      sent: false,
      skipped: expect.stringMatching(/^today's review digest was sent at 2026-12-10T10:00/),
    });
    expect(w.mailer.sent).toHaveLength(1);
    w.clock.advance(DAY);
    expect((await sendReviewDigest(w.deps, { sleep: w.sleep })).sent).toBe(true);
    expect(w.mailer.sent).toHaveLength(2);
    expect(JSON.parse((await w.stores.checkpoints.get(REVIEW_DIGEST_CHECKPOINT))!.value)).toMatchObject({
      day: '2026-12-11',
      state: 'sent',
      servers: 2,
    });
    expect((await w.stores.runs.list()).find((r) => r.job === 'sendReviewDigest')).toMatchObject({
      lastOutcome: 'succeeded',
    });
  });

  it('defaults to FALLBACK_MAILBOX; a failed send leaves the day open, so a later run that day sends it', async () => {
    const w = await world({ REVIEW_MAILBOX: '' });
    w.mailer.failNext('dba-team@contoso.com', 'EmailDropped (injected)');
    const failed = await sendReviewDigest(w.deps, { sleep: w.sleep });
    expect(failed).toMatchObject({ sent: false, to: 'dba-team@contoso.com', error: 'EmailDropped (injected)' });
    expect((await w.stores.evidence.list(w.e.twin.key)).some((x) => x.kind === 'review-listed')).toBe(false);
    w.clock.advance(3_600_000);
    expect(await sendReviewDigest(w.deps, { sleep: w.sleep })).toMatchObject({
      sent: true,
      to: 'dba-team@contoso.com',
      servers: 2,
    });
    expect(w.mailer.succeeded().map((m) => m.to)).toEqual(['dba-team@contoso.com']);
  });

  it('sends nothing when nothing waits for review (a dismissed twin stays off it for good)', async () => {
    const w = await world();
    const operator: OperatorDeps = { ...w.deps, operator: 'dana@contoso.com' };
    await confirmServer({ server: w.e.twin.name, verdict: 'not-a-clone', reason: 'Terraform twin' }, operator);
    await confirmServer(
      { server: w.e.forged.name, verdict: 'not-a-clone', reason: 'production since 2024; the tags were a test' },
      operator,
    );
    for (let day = 0; day < 3; day++) {
      expect(await sendReviewDigest(w.deps, { sleep: w.sleep })).toMatchObject({
        sent: false,
        servers: 0,
        skipped: 'no server waits for review',
      });
      w.clock.advance(DAY);
    }
    expect(w.mailer.sent).toEqual([]);
  });
});

describe('owner notices never speak of unproven servers', () => {
  it('no owner digest (sent or previewed) covers a claimed or suspected server, nor tells anyone it will be deleted', async () => {
    const w = await world();
    const unproven = [w.e.twin, w.e.forged];
    const preview = await previewOwnerNotices(w.deps);
    const outcome = await sendOwnerNotices(w.deps, { sleep: w.sleep });
    expect(outcome.failed).toEqual([]);
    // The proven clone's owner does hear (the check is not vacuous).
    expect(w.mailer.succeeded().map((m) => m.to)).toContain('alice@contoso.com');
    const unprovenKeys = new Set(unproven.map((s) => s.key));
    for (const digest of preview.digests)
      for (const n of digest.notices)
        expect(unprovenKeys.has(n.serverKey), `${n.server} in a digest to ${digest.to}`).toBe(false);
    for (const mail of [
      ...w.mailer.sent,
      ...preview.digests.map((d) => ({ to: d.to, subject: d.subject, plainText: d.plainText, html: d.html })),
    ]) {
      for (const server of unproven) {
        for (const text of [mail.subject, mail.plainText, mail.html])
          expect(text, `mail to ${mail.to} names ${server.name}`).not.toContain(server.name);
      }
      // Nobody who owns (or is tagged as owning) an unproven server is mailed about it.
      expect(['orders-team@contoso.com', 'payments-team@contoso.com']).not.toContain(mail.to);
    }
    for (const server of unproven)
      expect((await w.stores.inventory.get(server.key))!.value.noticesSent.filter((n) => n.sentAt >= NOW)).toEqual([]);
    expect(w.writes().filter((c) => unprovenKeys.has(c.target))).toEqual([]);
  });
});
