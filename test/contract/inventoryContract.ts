import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvidenceEntry } from '../../src/domain/model.js';
import { CHECKPOINT_VALUE_MAX_BYTES, ConcurrencyError } from '../../src/ports/inventory.js';
import type { InventoryStores, InventoryWriteOutcome } from '../../src/ports/inventory.js';
import { evidenceEntry, fullRecord, minimalRecord, serverKeyOf, shuffled, SUB_A, SUB_B } from './inventoryFixtures.js';

export interface StoresUnderTest {
  readonly stores: InventoryStores;
  readonly close: () => Promise<void>;
}

/**
 * One contract for every implementation of the inventory ports (Table Storage and the memory twins).
 * @example runInventoryContract('memory', async () => ({ stores: createMemoryStores(), close: async () => {} }));
 */
export function runInventoryContract(name: string, makeStores: () => Promise<StoresUnderTest>): void {
  describe(`inventory stores contract: ${name}`, () => {
    let stores: InventoryStores;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ stores, close } = await makeStores());
    });
    afterEach(async () => {
      await close();
    });

    describe('inventory', () => {
      it('answers undefined for a server never seen, and for a key outside any subscription', async () => {
        expect(await stores.inventory.get(serverKeyOf(SUB_A, 'rg', 'never-seen'))).toBeUndefined();
        expect(await stores.inventory.get('not-a-resource-id')).toBeUndefined();
      });

      it('round-trips a record with every optional field, unicode and special characters in tags', async () => {
        const record = fullRecord(SUB_A, 'pg-clone-1');
        const etag = await stores.inventory.upsert(record);
        const read = await stores.inventory.get(record.key);
        expect(read?.value).toEqual(record);
        expect(read?.etag).toBe(etag);
        expect(etag).not.toBe('');
      });

      it('round-trips a minimal record without inventing optional fields', async () => {
        const record = minimalRecord(SUB_A, 'pg-plain');
        await stores.inventory.upsert(record);
        const read = await stores.inventory.get(record.key);
        expect(read?.value).toEqual(record);
        expect(Object.keys(read!.value).sort()).toEqual(Object.keys(record).sort());
      });

      it('keeps keys exactly as given: slash, hash, question mark, backslash, quotes, percent, upper case', async () => {
        const odd = ['RG#1?x', "it's 100%", 'back\\slash', 'Ünïcødé'];
        const records = odd.map((rg, i) => ({ ...minimalRecord(SUB_A, `Pg-${i}`, rg) }));
        for (const record of records) await stores.inventory.upsert(record);
        for (const record of records) expect((await stores.inventory.get(record.key))?.value).toEqual(record);
        // Keys are exact: callers pass serverKey(); another casing is another key.
        expect(await stores.inventory.get(records[0]!.key.toLowerCase())).toBeUndefined();
        expect((await stores.inventory.list({ subscriptionId: SUB_A })).map((r) => r.key)).toEqual(
          records.map((r) => r.key).sort(),
        );
      });

      it('lists one subscription (any casing of its id), or every row ordered by subscription then key', async () => {
        const inA = ['pg-c', 'pg-a', 'pg-b'].map((n) => minimalRecord(SUB_A, n));
        const inB = ['pg-z', 'pg-y'].map((n) => minimalRecord(SUB_B, n));
        for (const record of [...inB, ...inA]) await stores.inventory.upsert(record);

        const listedA = await stores.inventory.list({ subscriptionId: SUB_A.toUpperCase() });
        expect(listedA.map((r) => r.name)).toEqual(['pg-a', 'pg-b', 'pg-c']);
        expect(listedA[0]).toEqual(inA[1]);
        expect((await stores.inventory.list()).map((r) => r.name)).toEqual(['pg-a', 'pg-b', 'pg-c', 'pg-y', 'pg-z']);
        expect(await stores.inventory.list({ subscriptionId: '00000000-0000-4000-8000-0000000000ff' })).toEqual([]);

        const versioned = await stores.inventory.listVersioned({ subscriptionId: SUB_B });
        for (const row of versioned) expect((await stores.inventory.get(row.value.key))?.etag).toBe(row.etag);
      });

      it('writes over a version only when it is still current (ETag), and throws ConcurrencyError otherwise', async () => {
        const record = minimalRecord(SUB_A, 'pg-etag');
        const first = await stores.inventory.upsert(record);
        const second = await stores.inventory.upsert({ ...record, owner: 'a@contoso.com' }, { ifMatch: first });
        expect(second).not.toBe(first);

        const stale = stores.inventory.upsert({ ...record, owner: 'b@contoso.com' }, { ifMatch: first });
        await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(stale).rejects.toMatchObject({ key: record.key });
        expect((await stores.inventory.get(record.key))?.value.owner).toBe('a@contoso.com');
        expect((await stores.inventory.get(record.key))?.etag).toBe(second);

        await expect(
          stores.inventory.upsert(minimalRecord(SUB_A, 'pg-gone'), { ifMatch: second }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await stores.inventory.get(minimalRecord(SUB_A, 'pg-gone').key)).toBeUndefined();
      });

      it('inserts only when absent with ifMatch null, and overwrites anything without ifMatch', async () => {
        const record = minimalRecord(SUB_A, 'pg-insert');
        const created = await stores.inventory.upsert(record, { ifMatch: null });
        await expect(
          stores.inventory.upsert({ ...record, owner: 'late@contoso.com' }, { ifMatch: null }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        expect((await stores.inventory.get(record.key))?.value.owner).toBeUndefined();

        const replaced = await stores.inventory.upsert({ ...record, state: 'deleted' });
        expect(replaced).not.toBe(created);
        expect((await stores.inventory.get(record.key))?.value.state).toBe('deleted');
      });

      it('rejects a record whose key is not under its subscription', async () => {
        const record = minimalRecord(SUB_A, 'pg-mismatch');
        await expect(stores.inventory.upsert({ ...record, subscriptionId: SUB_B })).rejects.toThrow(/subscriptionId/);
        await expect(stores.inventory.upsert({ ...record, key: 'pg-mismatch' })).rejects.toThrow(
          /under \/subscriptions/,
        );
        expect(await stores.inventory.list()).toEqual([]);
      });

      it('upserts many rows over two subscriptions; a stale row conflicts alone and the rest are written', async () => {
        const existing = minimalRecord(SUB_A, 'pg-0000');
        const staleEtag = await stores.inventory.upsert(existing);
        await stores.inventory.upsert({ ...existing, owner: 'moved-on@contoso.com' });

        const many = Array.from({ length: 150 }, (_, i) => minimalRecord(SUB_A, `pg-${String(i).padStart(4, '0')}`));
        const writes = [
          ...many.map((record, i) =>
            i === 0 ? { record: { ...record, owner: 'stale@contoso.com' }, ifMatch: staleEtag } : { record },
          ),
          { record: minimalRecord(SUB_B, 'pg-b1'), ifMatch: null },
        ];
        const outcomes = await stores.inventory.upsertMany(writes);

        expect(outcomes.map((o) => o.key)).toEqual(writes.map((w) => w.record.key));
        const conflicts = outcomes.filter(
          (o): o is Extract<InventoryWriteOutcome, { conflict: ConcurrencyError }> => 'conflict' in o,
        );
        expect(conflicts.map((o) => o.key)).toEqual([existing.key]);
        expect(conflicts[0]!.conflict).toBeInstanceOf(ConcurrencyError);
        expect((await stores.inventory.get(existing.key))?.value.owner).toBe('moved-on@contoso.com');
        expect(await stores.inventory.list({ subscriptionId: SUB_A })).toHaveLength(150);
        const written = outcomes[42] as { etag: string };
        expect((await stores.inventory.get(many[42]!.key))?.etag).toBe(written.etag);
        expect(await stores.inventory.list({ subscriptionId: SUB_B })).toEqual([minimalRecord(SUB_B, 'pg-b1')]);
      });

      it('refuses the same key twice in one upsertMany and writes nothing', async () => {
        const record = minimalRecord(SUB_A, 'pg-twice');
        await expect(stores.inventory.upsertMany([{ record }, { record }])).rejects.toThrow(/twice/);
        expect(await stores.inventory.get(record.key)).toBeUndefined();
      });
    });

    describe('evidence', () => {
      const server = serverKeyOf(SUB_A, 'rg-incident', 'pg-clone-1');

      it('writes an id once: a replay writes nothing, even with another time and summary', async () => {
        const entry = evidenceEntry(server, 'classify:corr-1', '2026-11-01T08:00:00.000Z');
        expect(await stores.evidence.append([entry])).toEqual({ written: 1, alreadyPresent: 0 });
        expect(
          await stores.evidence.append([{ ...entry, at: '2026-11-01T09:00:00.000Z', summary: 'replayed' }]),
        ).toEqual({ written: 0, alreadyPresent: 1 });
        expect(await stores.evidence.append([entry, entry])).toEqual({ written: 0, alreadyPresent: 2 });
        expect(await stores.evidence.list(server)).toEqual([entry]);
      });

      it('counts an id repeated within one call once', async () => {
        const entry = evidenceEntry(server, 'tag:corr-2', '2026-11-01T08:00:00.000Z');
        expect(await stores.evidence.append([entry, { ...entry, summary: 'again' }])).toEqual({
          written: 1,
          alreadyPresent: 1,
        });
        expect(await stores.evidence.list(server)).toEqual([entry]);
      });

      it('appends 250 entries of one server, lists them oldest first, and a replay with 10 new writes only those', async () => {
        const start = Date.parse('2026-11-01T00:00:00.000Z');
        const entries = Array.from({ length: 250 }, (_, i) =>
          evidenceEntry(server, `step:${String(i).padStart(3, '0')}`, new Date(start + i * 60_000).toISOString()),
        );
        expect(await stores.evidence.append(shuffled(entries))).toEqual({ written: 250, alreadyPresent: 0 });
        expect(await stores.evidence.list(server)).toEqual(entries);

        const fresh = Array.from({ length: 10 }, (_, i) =>
          evidenceEntry(server, `later:${i}`, new Date(start + (300 + i) * 60_000).toISOString()),
        );
        expect(await stores.evidence.append(shuffled([...entries, ...fresh], 3))).toEqual({
          written: 10,
          alreadyPresent: 250,
        });
        expect(await stores.evidence.list(server)).toEqual([...entries, ...fresh]);
      });

      it('keeps the entries of many servers apart, in one call', async () => {
        const servers = Array.from({ length: 30 }, (_, i) => serverKeyOf(i % 2 ? SUB_A : SUB_B, 'rg', `pg-${i}`));
        const entries = servers.flatMap((key, i) =>
          [0, 1, 2].map((n) => evidenceEntry(key, `e${n}`, `2026-11-01T0${n}:00:0${i % 10}.000Z`)),
        );
        expect(await stores.evidence.append(shuffled(entries))).toEqual({ written: 90, alreadyPresent: 0 });
        for (const key of servers) {
          const listed = await stores.evidence.list(key);
          expect(listed.map((e) => e.id)).toEqual(['e0', 'e1', 'e2']);
          expect(listed.every((e) => e.serverKey === key)).toBe(true);
        }
        expect(await stores.evidence.list(serverKeyOf(SUB_A, 'rg', 'pg-none'))).toEqual([]);
      });

      it('orders by time, then by id, whatever the order of writing', async () => {
        const same = '2026-11-01T08:00:00.000Z';
        const entries = [
          evidenceEntry(server, 'b', same),
          evidenceEntry(server, 'c', '2026-11-01T07:00:00.000Z'),
          evidenceEntry(server, 'a', same),
          evidenceEntry(server, 'd', '2026-11-01T08:00:00.001Z'),
        ];
        for (const entry of entries) await stores.evidence.append([entry]);
        expect((await stores.evidence.list(server)).map((e) => e.id)).toEqual(['c', 'a', 'b', 'd']);
      });

      it('round-trips every field, with keys and ids full of characters table keys forbid', async () => {
        const oddServer = `${serverKeyOf(SUB_A, "RG#1?x\\it's", 'Pg-Ünï')}`;
        const entry: EvidenceEntry = {
          serverKey: oddServer,
          id: "tag:/a#b?c\\d%e'f\u0001g",
          at: '2026-11-01T08:00:00.000Z',
          actor: 'zoë@contoso.com',
          kind: 'tag',
          summary: 'stamped Owner, ExpiresOn — 所有者',
          reason: 'owner tag inherited from pg-prod',
          before: { Owner: 'prod-team@contoso.com' },
          after: { Owner: 'zoë@contoso.com', ExpiresOn: '2026-11-15' },
          details: { nested: [1, 'two', { three: null }], empty: {} },
        };
        expect(await stores.evidence.append([entry])).toEqual({ written: 1, alreadyPresent: 0 });
        expect(await stores.evidence.list(oddServer)).toEqual([entry]);
        expect(await stores.evidence.list(oddServer.toLowerCase())).toEqual([]);
      });

      it('keeps a 100K-character details whole, and replaces a 2M-character details with a truncation marker', async () => {
        const medium = { rows: Array.from({ length: 2_000 }, (_, i) => ({ i, text: 'x'.repeat(40) })) };
        const mediumJson = JSON.stringify(medium);
        expect(mediumJson.length).toBeGreaterThan(100_000);
        const huge = { blob: 'y'.repeat(2_000_000) };
        const entries = [
          evidenceEntry(server, 'medium', '2026-11-01T08:00:00.000Z', { details: medium }),
          evidenceEntry(server, 'huge', '2026-11-01T09:00:00.000Z', { details: huge, before: { kept: true } }),
        ];
        expect(await stores.evidence.append(entries)).toEqual({ written: 2, alreadyPresent: 0 });

        const [mediumRead, hugeRead] = await stores.evidence.list(server);
        expect(mediumRead?.details).toEqual(medium);
        expect(hugeRead?.before).toEqual({ kept: true });
        expect(hugeRead?.details).toMatchObject({ truncated: true, originalChars: JSON.stringify(huge).length });
        expect((hugeRead?.details as { preview: string }).preview.startsWith('{"blob":"yyy')).toBe(true);
      });
    });

    describe('runs', () => {
      it('records start, success with counts, failure with error, and clears the error on the next success', async () => {
        await stores.runs.started('reconcile', '2026-11-01T08:00:00.000Z');
        expect(await stores.runs.list()).toEqual([{ job: 'reconcile', lastStartedAt: '2026-11-01T08:00:00.000Z' }]);

        await stores.runs.finished('reconcile', '2026-11-01T08:01:00.000Z', {
          ok: true,
          counts: { servers: 10_000, deleted: 3 },
        });
        await stores.runs.started('reconcile', '2026-11-01T08:05:00.000Z');
        await stores.runs.finished('reconcile', '2026-11-01T08:06:00.000Z', {
          ok: false,
          error: 'ARM 403 AuthorizationFailed',
        });
        expect(await stores.runs.list()).toEqual([
          {
            job: 'reconcile',
            lastStartedAt: '2026-11-01T08:05:00.000Z',
            lastFinishedAt: '2026-11-01T08:06:00.000Z',
            lastSucceededAt: '2026-11-01T08:01:00.000Z',
            lastOutcome: 'failed',
            lastError: 'ARM 403 AuthorizationFailed',
          },
        ]);

        await stores.runs.finished('reconcile', '2026-11-01T08:11:00.000Z', { ok: true });
        expect((await stores.runs.list())[0]).toEqual({
          job: 'reconcile',
          lastStartedAt: '2026-11-01T08:05:00.000Z',
          lastFinishedAt: '2026-11-01T08:11:00.000Z',
          lastSucceededAt: '2026-11-01T08:11:00.000Z',
          lastOutcome: 'succeeded',
        });
      });

      it('lists every job by name', async () => {
        for (const job of ['sweep', 'notices', 'reconcile/activity-log'])
          await stores.runs.started(job, '2026-11-01T08:00:00.000Z');
        expect((await stores.runs.list()).map((r) => r.job)).toEqual(['notices', 'reconcile/activity-log', 'sweep']);
      });
    });

    describe('checkpoints', () => {
      it('gets and sets with the same ETag rules as inventory', async () => {
        const name = 'reconcile:activity-log/Sub#A?';
        expect(await stores.checkpoints.get(name)).toBeUndefined();
        const first = await stores.checkpoints.set(name, '2026-11-01T08:00:00.000Z', { ifMatch: null });
        await expect(stores.checkpoints.set(name, 'other', { ifMatch: null })).rejects.toBeInstanceOf(ConcurrencyError);

        const second = await stores.checkpoints.set(name, '2026-11-01T08:05:00.000Z', { ifMatch: first });
        expect(second).not.toBe(first);
        await expect(stores.checkpoints.set(name, 'stale', { ifMatch: first })).rejects.toThrow(
          /Checkpoint for reconcile:activity-log\/Sub#A\? changed/,
        );
        expect(await stores.checkpoints.get(name)).toEqual({ value: '2026-11-01T08:05:00.000Z', etag: second });

        const third = await stores.checkpoints.set(name, '');
        expect(await stores.checkpoints.get(name)).toEqual({ value: '', etag: third });
        expect(await stores.checkpoints.get(name.toLowerCase())).toBeUndefined();
      });

      it('holds a large value (price cache) and refuses one past the row limit', async () => {
        const large = JSON.stringify(
          Array.from({ length: 9_000 }, (_, i) => ({
            meter: `vCore ${i}`,
            price: i / 100,
            unit: '1 Hour',
            note: 'Ünïcødé €',
          })),
        );
        expect(large.length).toBeGreaterThan(500_000);
        const etag = await stores.checkpoints.set('prices', large);
        expect(await stores.checkpoints.get('prices')).toEqual({ value: large, etag });

        await expect(stores.checkpoints.set('prices', 'z'.repeat(CHECKPOINT_VALUE_MAX_BYTES + 1))).rejects.toThrow(
          /at most 960000/,
        );
        expect((await stores.checkpoints.get('prices'))?.value).toBe(large);
      });
    });
  });
}
