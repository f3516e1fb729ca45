import type { TokenCredential } from '@azure/core-auth';
import { CredentialUnavailableError } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { emulatorCredential as appCredential } from '../../src/adapters/azure/credential.js';
import { DEFAULT_IDENTITY, emulatorCredential } from '../../src/local/emulator/index.js';
import { operatorName, wardenStatus, type QueueDepths } from '../../src/jobs/operator.js';
import { fixedClock } from '../../src/ports/clock.js';
import { minimalRecord, SUB_A } from '../contract/inventoryFixtures.js';

const schedules = {
  reconcile: '0 */5 * * * *',
  notices: '0 0 9-17 * * 1-5',
  finopsSummary: '0 0 8 * * 1',
  sweep: '0 30 10-15 * * 1-4',
  drills: '0 */15 * * * *',
};
const queues =
  (poison: number | null = 0): (() => Promise<QueueDepths>) =>
  () =>
    Promise.resolve({
      events: { name: 'resource-events', depth: 3 },
      poison: { name: 'resource-events-poison', depth: poison },
    });

describe('operatorName', () => {
  it('takes the user name from the sign-in token, whatever --as says', async () => {
    await expect(
      operatorName(emulatorCredential({ ...DEFAULT_IDENTITY, upn: 'alice@contoso.com' }), 'someone-else'),
    ).resolves.toBe('alice@contoso.com');
  });

  it('falls back to --as (or USER) when the token names no user (a service principal)', async () => {
    await expect(operatorName(appCredential, 'bob@contoso.com')).resolves.toBe('bob@contoso.com');
    await expect(operatorName(appCredential, undefined)).rejects.toThrow(/pass --as <your e-mail>/);
  });

  it('says to run az login when there is no sign-in', async () => {
    const none: TokenCredential = {
      getToken: () =>
        Promise.reject(
          new CredentialUnavailableError(
            'DefaultAzureCredential failed to retrieve a token from the included credentials.',
          ),
        ),
    };
    await expect(operatorName(none, 'bob@contoso.com')).rejects.toThrow(
      /No Azure sign-in found \(CredentialUnavailableError: DefaultAzureCredential failed.*\): run `az login`.*or pass --local/,
    );
  });
});

describe('wardenStatus', () => {
  it('is unhealthy while a scheduled job never ran; disabled jobs and unscheduled run rows are shown, not judged', async () => {
    const stores = createMemoryStores();
    const clock = fixedClock('2026-11-20T12:00:00Z');
    await stores.runs.finished('reconcile', '2026-11-20T11:58:00Z', { ok: true });
    await stores.runs.started('reconcile/activity-log', '2026-11-20T11:58:00Z');
    const status = await wardenStatus(
      { schedules, disabled: ['sendFinopsSummary', 'runRestoreDrills'], queues: queues(null) },
      { ...stores, clock },
    );
    expect(status.healthy).toBe(false);
    expect(status.problems).toEqual([
      'sendOwnerNotices: never ran',
      'sendReviewDigest: never ran',
      'deleteExpiredClones: never ran',
    ]);
    expect(status.warnings).toEqual([]);
    expect(status.jobs.map((j) => [j.job, j.status])).toEqual([
      ['reconcile', 'ok'],
      ['sendOwnerNotices', 'never-succeeded'],
      ['sendFinopsSummary', 'disabled'],
      ['sendReviewDigest', 'never-succeeded'],
      ['deleteExpiredClones', 'never-succeeded'],
      ['runRestoreDrills', 'disabled'],
      ['reconcile/activity-log', 'unscheduled'],
    ]);
  });

  it('counts clones by state, leaving servers that are not clones out', async () => {
    const stores = createMemoryStores();
    const rows = Array.from({ length: 6 }, (_, i) => minimalRecord(SUB_A, `pg-${i}`));
    const states = ['governed', 'held', 'governed', 'deleted', 'listed', 'quarantined'] as const;
    for (const [i, row] of rows.entries())
      await stores.inventory.upsert({
        ...row,
        state: states[i]!,
        classification: states[i] === 'listed' ? 'not-a-clone' : 'clone',
      });
    for (const job of [
      'reconcile',
      'sendOwnerNotices',
      'sendFinopsSummary',
      'sendReviewDigest',
      'deleteExpiredClones',
      'runRestoreDrills',
    ])
      await stores.runs.finished(job, '2026-11-20T11:58:00Z', { ok: true });
    const status = await wardenStatus(
      { schedules, queues: queues(2) },
      { ...stores, clock: fixedClock('2026-11-20T12:00:00Z') },
    );
    expect(status.clones).toEqual({ total: 5, governed: 2, held: 1, deleted: 1, quarantined: 1 });
    expect(status).toMatchObject({
      healthy: true,
      warnings: ['resource-events-poison: 2 message(s) the intake gave up on'],
    });
  });
});
