import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LockLevel, NoticeSent, Server } from '../../src/domain/model.js';
import { sweep } from '../../src/jobs/sweep.js';
import { cloneServer, domainServer, DRY_RUN, ENFORCE, memoryDeps, rowsFor, SUB_A } from './sweepSeed.js';

const NOW = new Date('2026-12-10T10:00:00Z');
const DAY = 86_400_000;
const GRACE_DAYS = 2;
const MAX_LIFETIME_DAYS = 30;
const SOURCE_TAGS = { Owner: 'team@contoso.com', Environment: 'production' };

/** One server of a random estate, with the facts the sweep must respect. */
interface Spec {
  readonly kind: 'clone' | 'probable' | 'plain';
  /** Expiry as days from NOW, or an unparseable/missing tag. */
  readonly expiry: { readonly days: number; readonly dateOnly: boolean } | { readonly raw: string };
  readonly lifetimeDays: number;
  readonly legalHold: boolean;
  readonly lock: LockLevel | undefined;
  readonly newCloneNotice: boolean;
  /** Final notice, hours after expiry (negative: before it); undefined when never sent. */
  readonly finalAfterHours: number | undefined;
  /** Changed between planning and the re-read before delete. */
  readonly change: 'none' | 'expiry-extended' | 'hold-added' | 'lock-added' | 'state-changed';
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  kind: fc.constantFrom('clone', 'probable', 'plain'),
  expiry: fc.oneof(
    fc.record({ days: fc.integer({ min: -40, max: 10 }), dateOnly: fc.boolean() }),
    fc.record({ raw: fc.constantFrom('soon', 'next friday', '2026-02-30', '31/12/2026', '2026-11-01T10:00:00', '') }),
  ),
  lifetimeDays: fc.integer({ min: 1, max: 45 }),
  legalHold: fc.boolean(),
  lock: fc.constantFrom(undefined, undefined, 'CanNotDelete', 'ReadOnly'),
  newCloneNotice: fc.boolean(),
  finalAfterHours: fc.option(fc.integer({ min: -72, max: 24 * 12 }), { nil: undefined }),
  change: fc.constantFrom('none', 'none', 'none', 'expiry-extended', 'hold-added', 'lock-added', 'state-changed'),
});

function expiryOf(spec: Spec): Date | undefined {
  if ('raw' in spec.expiry) return undefined;
  const at = new Date(NOW.getTime() + spec.expiry.days * DAY);
  return spec.expiry.dateOnly
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()))
    : new Date(Math.floor(at.getTime() / 1000) * 1000);
}

function tagOf(spec: Spec): string | undefined {
  if ('raw' in spec.expiry) return spec.expiry.raw === '' ? undefined : spec.expiry.raw;
  const at = expiryOf(spec)!;
  return spec.expiry.dateOnly ? at.toISOString().slice(0, 10) : at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The estate: a production source, then one server per spec (probable clones copy the source's tags and login). */
function build(specs: readonly Spec[]) {
  const source = domainServer({
    name: 'pg-src',
    tags: { ...SOURCE_TAGS, ExpiresOn: '2026-01-01' },
    createdAt: '2025-01-01T00:00:00Z',
    login: 'shared',
  });
  const servers: Server[] = [source];
  const notices: Record<string, NoticeSent[]> = {
    [source.key]: [{ stage: 'final-notice', sentAt: '2026-01-02T00:00:00Z', to: 'team@contoso.com' }],
  };
  const locks: Record<string, { name: string; level: LockLevel }[]> = {};
  specs.forEach((spec, i) => {
    const name = `pg-${i}-${spec.kind}`;
    const expiry = expiryOf(spec);
    const createdAt = new Date((expiry ?? NOW).getTime() - spec.lifetimeDays * DAY).toISOString();
    const extra: Record<string, string> = {};
    const tag = tagOf(spec);
    if (tag !== undefined) extra.ExpiresOn = tag;
    if (spec.legalHold) extra.LegalHold = 'CASE-7';
    let server: Server;
    if (spec.kind === 'clone') {
      const { ExpiresOn: _e, ...lineageTags } = cloneServer(name, 'x').tags;
      server = { ...cloneServer(name, 'x', { createdAt }), tags: { ...lineageTags, ...extra } };
    } else {
      server = domainServer({
        name,
        createdAt,
        tags: spec.kind === 'probable' ? { ...SOURCE_TAGS, ...extra } : { Owner: 'x@contoso.com', ...extra },
        login: spec.kind === 'probable' ? 'shared' : undefined,
      });
    }
    servers.push(server);
    const history: NoticeSent[] = [];
    if (spec.newCloneNotice) history.push({ stage: 'new-clone', sentAt: createdAt, to: 'team@contoso.com' });
    if (spec.finalAfterHours !== undefined && expiry)
      history.push({
        stage: 'final-notice',
        sentAt: new Date(expiry.getTime() + spec.finalAfterHours * 3_600_000).toISOString(),
        to: 'team@contoso.com',
      });
    notices[server.key] = history;
    if (spec.lock) locks[server.id] = [{ name: 'keep', level: spec.lock }];
  });
  return { servers, notices, locks, source };
}

/** Every condition of the issue, computed from the generated facts (not from the plan). */
function mayBeDeleted(spec: Spec): boolean {
  const expiry = expiryOf(spec);
  if (!expiry || expiry.getTime() > NOW.getTime()) return false;
  // Only proven clones (here: their restore is in the Activity Log) are ever deleted; look-alikes never are.
  if (spec.kind !== 'clone') return false;
  if (!spec.newCloneNotice) return false;
  if (spec.legalHold || spec.lock) return false;
  if (spec.finalAfterHours === undefined || spec.finalAfterHours < 0) return false;
  const finalAt = expiry.getTime() + spec.finalAfterHours * 3_600_000;
  return finalAt + GRACE_DAYS * DAY <= NOW.getTime();
}

/** The same, plus what the policy adds: an expiry within the maximum lifetime is not rewritten first. */
function eligible(spec: Spec): boolean {
  return mayBeDeleted(spec) && spec.lifetimeDays <= MAX_LIFETIME_DAYS;
}

async function world(specs: readonly Spec[]) {
  const { servers, notices, locks, source } = build(specs);
  const rows = rowsFor(servers, new Date(NOW.getTime() - DAY), notices);
  const t = await memoryDeps({ now: NOW.toISOString(), servers, rows, locks, subscriptions: [SUB_A] });
  return { ...t, estate: servers, source };
}

const keyOf = (i: number, spec: Spec) =>
  `/subscriptions/${SUB_A}/resourcegroups/rg/providers/microsoft.dbforpostgresql/flexibleservers/pg-${i}-${spec.kind}`;

describe('sweep properties over random estates and histories', () => {
  it('deletes a server only when every condition holds; never a not-a-clone, an unparseable expiry, a hold, a lock, or before grace', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 100 }),
        fc.boolean(),
        async (specs, maxPerRun, percent, faults) => {
          const t = await world(specs);
          let calls = 0;
          // Transient ARM failures on some calls: they may fail items, never widen what is deleted.
          if (faults)
            t.servers.fault = (call) =>
              call.op !== 'list' && ++calls % 4 === 0 ? new Error(`injected 503 on ${call.op}`) : undefined;
          const result = await sweep(t.deps, {
            ...ENFORCE,
            maxDeletionsPerRun: maxPerRun,
            maxDeletionPercent: percent,
          });
          const deleted = new Set(t.servers.calls.filter((c) => c.op === 'delete').map((c) => c.target));
          specs.forEach((spec, i) => {
            if (deleted.has(keyOf(i, spec))) expect(mayBeDeleted(spec), JSON.stringify(spec)).toBe(true);
          });
          expect(deleted.has(t.source.key)).toBe(false);
          expect(result.deleted.length).toBeLessThanOrEqual(
            Math.min(maxPerRun, Math.max(1, Math.floor((result.counts.knownClones * percent) / 100))),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('deletes exactly the eligible servers when nothing fails or changes and the caps allow', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 10 }), async (specs) => {
        const t = await world(specs);
        const result = await sweep(t.deps, ENFORCE);
        const expected = specs.flatMap((spec, i) => (eligible(spec) ? [keyOf(i, spec)] : [])).sort();
        expect(result.stoppedBecause).toBeUndefined();
        expect(
          t.servers.calls
            .filter((c) => c.op === 'delete')
            .map((c) => c.target)
            .sort(),
        ).toEqual(expected);
        for (const key of expected) expect(t.servers.peek(key)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('any change between planning and the re-read cancels that delete', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 8 }), async (specs) => {
        const t = await world(specs);
        const changed = new Set<string>();
        t.servers.beforeCall = (call) => {
          if (call.op !== 'get' || changed.has(call.target)) return;
          const i = specs.findIndex((s, j) => keyOf(j, s) === call.target);
          const spec = specs[i];
          const server = t.servers.peek(call.target);
          if (!spec || !server || spec.change === 'none') return;
          changed.add(call.target);
          if (spec.change === 'expiry-extended')
            t.servers.put({ ...server, tags: { ...server.tags, ExpiresOn: '2026-12-31' } });
          if (spec.change === 'hold-added')
            t.servers.put({ ...server, tags: { ...server.tags, LegalHold: 'CASE-late' } });
          if (spec.change === 'state-changed') t.servers.put({ ...server, state: 'Stopped' });
          if (spec.change === 'lock-added') t.servers.setLocks(server.id, [{ name: 'late', level: 'CanNotDelete' }]);
        };
        await sweep(t.deps, ENFORCE);
        const deleted = new Set(t.servers.calls.filter((c) => c.op === 'delete').map((c) => c.target));
        for (const key of changed) expect(deleted.has(key)).toBe(false);
        specs.forEach((spec, i) => {
          if (spec.change === 'none' && eligible(spec)) expect(deleted.has(keyOf(i, spec))).toBe(true);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('dry-run never calls delete and records would-delete only for eligible servers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 10 }), async (specs) => {
        const t = await world(specs);
        const result = await sweep(t.deps, DRY_RUN);
        expect(t.servers.calls.filter((c) => c.op === 'delete')).toEqual([]);
        const expected = specs.flatMap((spec, i) => (eligible(spec) ? [keyOf(i, spec)] : [])).sort();
        expect(result.wouldDelete.map((w) => w.id.toLowerCase()).sort()).toEqual(expected);
        for (const key of expected)
          expect((await t.stores.evidence.list(key)).map((e) => e.kind)).toEqual(['would-delete']);
      }),
      { numRuns: 100 },
    );
  });
});
