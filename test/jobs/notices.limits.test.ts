import { describe, expect, it } from 'vitest';
import { sendOwnerNotices } from '../../src/jobs/notices.js';
import { SEND_LOG_CHECKPOINT } from '../../src/jobs/noticesBudget.js';
import { ConcurrencyError } from '../../src/ports/inventory.js';
import { cloneServer, memoryNoticesDeps } from './notices.support.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The most sends that fall in any window [t, t + windowMs) starting at a send. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return Math.max(0, ...sorted.map((t) => sorted.filter((u) => u >= t && u < t + windowMs).length));
}

describe('owner notices within the ACS limits (memory adapters, injected clock)', () => {
  it('250 owners at 30/minute and 100/hour: no minute over 30, no hour over 100, none lost, the rest in later runs', async () => {
    const servers = Array.from({ length: 250 }, (_, i) =>
      cloneServer(`pg-clone-${String(i).padStart(3, '0')}`, `owner-${i}@contoso.com`),
    );
    const { deps, clock, mailer, stores, sleep } = await memoryNoticesDeps(servers, {
      MAIL_LIMIT_PER_MINUTE: '30',
      MAIL_LIMIT_PER_HOUR: '100',
    });
    const start = clock.now().getTime();

    const outcomes = [];
    for (let run = 0; run < 6 && mailer.sent.length < 250; run++) {
      clock.set(new Date(start + run * HOUR)); // the timer fires hourly
      outcomes.push(await sendOwnerNotices(deps, { sleep }));
    }

    expect(outcomes[0]).toMatchObject({ owners: 250, sent: 100, deferred: 150, failed: [] });
    expect(outcomes.map((o) => o.sent)).toEqual([100, 100, 50]);
    expect(outcomes.map((o) => o.deferred)).toEqual([150, 50, 0]);
    const times = mailer.sent.map((m) => Date.parse(m.at));
    expect(busiestWindow(times, MINUTE)).toBe(30);
    expect(busiestWindow(times, HOUR)).toBeLessThanOrEqual(100);
    // Every owner exactly once, and each row records its notice once.
    expect(new Set(mailer.sent.map((m) => m.to)).size).toBe(250);
    expect(mailer.sent).toHaveLength(250);
    const rows = await stores.inventory.list();
    expect(rows.map((r) => r.noticesSent.map((n) => n.stage))).toEqual(rows.map(() => ['new-clone']));
    // The hourly budget spans runs: the log holds the last hour's sends.
    const last = Math.max(...times);
    const log = JSON.parse((await stores.checkpoints.get(SEND_LOG_CHECKPOINT))!.value) as string[];
    expect(log.map(Date.parse)).toEqual(times.filter((t) => t > last - HOUR).sort((a, b) => a - b));
  });

  it('spreads sends within a run: the 31st waits a minute on the injected clock', async () => {
    const servers = Array.from({ length: 35 }, (_, i) => cloneServer(`pg-c${i}`, `o${i}@contoso.com`));
    const { deps, clock, mailer, sleep } = await memoryNoticesDeps(servers, {
      MAIL_LIMIT_PER_MINUTE: '30',
      MAIL_LIMIT_PER_HOUR: '100',
    });
    const start = clock.now().getTime();
    const outcome = await sendOwnerNotices(deps, { sleep });
    expect(outcome).toMatchObject({ sent: 35, deferred: 0 });
    const offsets = mailer.sent.map((m) => Date.parse(m.at) - start);
    expect(offsets.slice(0, 30)).toEqual(Array(30).fill(0));
    expect(offsets.slice(30)).toEqual(Array(5).fill(MINUTE));
  });

  it('defers what would start after the run deadline, and sends nothing twice on the next run', async () => {
    const servers = Array.from({ length: 12 }, (_, i) => cloneServer(`pg-d${i}`, `d${i}@contoso.com`));
    const { deps, clock, mailer, sleep } = await memoryNoticesDeps(servers, { MAIL_LIMIT_PER_MINUTE: '5' });
    const first = await sendOwnerNotices(deps, { sleep, maxRunMs: 90_000 });
    expect(first).toMatchObject({ sent: 10, deferred: 2 });
    clock.advance(HOUR);
    const second = await sendOwnerNotices(deps, { sleep });
    expect(second).toMatchObject({ owners: 2, sent: 2, deferred: 0 });
    expect(new Set(mailer.sent.map((m) => m.to)).size).toBe(12);
  });

  it('records a sent notice over a row another job rewrote meanwhile (re-read on ConcurrencyError), keeping its changes', async () => {
    const server = cloneServer('pg-race', 'race@contoso.com');
    const { deps, stores } = await memoryNoticesDeps([server]);
    let raced = false;
    let conflicts = 0;
    const inventory = {
      ...stores.inventory,
      get: stores.inventory.get.bind(stores.inventory),
      list: stores.inventory.list.bind(stores.inventory),
      listVersioned: stores.inventory.listVersioned.bind(stores.inventory),
      upsertMany: stores.inventory.upsertMany.bind(stores.inventory),
      upsert: async (record: Parameters<typeof stores.inventory.upsert>[0], options?: { ifMatch?: string | null }) => {
        if (!raced) {
          raced = true; // reconcile writes the row between our read and our write
          const current = (await stores.inventory.get(record.key))!;
          await stores.inventory.upsert({ ...current.value, serverState: 'Stopped' }, { ifMatch: current.etag });
        }
        try {
          return await stores.inventory.upsert(record, options);
        } catch (error) {
          if (error instanceof ConcurrencyError) conflicts++;
          throw error;
        }
      },
    };
    const outcome = await sendOwnerNotices({ ...deps, inventory });
    expect(outcome).toMatchObject({ sent: 1, notices: 1, failed: [] });
    expect(conflicts).toBe(1);
    const row = (await stores.inventory.get(server.key))!.value;
    expect(row.serverState).toBe('Stopped');
    expect(row.noticesSent).toEqual([
      { stage: 'new-clone', sentAt: '2026-11-21T09:00:00.000Z', to: 'race@contoso.com' },
    ]);
  });
});
