import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotCommand } from '../../src/cli/commands/snapshot.js';
import { buildPlan } from '../../src/domain/plan.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { armFromServer, parseSnapshotText, serverFromArm } from '../../src/domain/snapshot.js';
import { startStack, type TestStack } from '../support/stack.js';

const estate = fileURLToPath(new URL('../../examples/estate.json', import.meta.url));

describe('pitr-warden snapshot', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ snapshot: estate });
    Object.assign(process.env, stack.settings);
  });
  afterAll(async () => stack?.close());

  it('writes the live estate in the seed format with read calls only, and plan reads it back', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'warden-snap-')), 'estate.json');
    const writesBefore =
      stack.emulator.requests.count({ method: 'PUT' }) +
      stack.emulator.requests.count({ method: 'PATCH' }) +
      stack.emulator.requests.count({ method: 'DELETE' });
    const err: string[] = [];
    await snapshotCommand({ out: () => undefined, err: (t) => err.push(t) }).parseAsync(['--out', out], {
      from: 'user',
    });
    const writesAfter =
      stack.emulator.requests.count({ method: 'PUT' }) +
      stack.emulator.requests.count({ method: 'PATCH' }) +
      stack.emulator.requests.count({ method: 'DELETE' });
    expect(writesAfter).toBe(writesBefore);

    const seeded = JSON.parse(readFileSync(estate, 'utf8')) as {
      servers: Array<{ id: string }>;
      firewallRules: Record<string, unknown[]>;
      sqlDatabases: Array<{ id: string; name: string }>;
    };
    // SQL databases are written like every governed resource, each with its logical server's rules (master left out).
    const databases = seeded.sqlDatabases.filter((d) => d.name !== 'master');
    const text = readFileSync(out, 'utf8');
    const snapshot = parseSnapshotText(text, out);
    expect(snapshot.servers.map((s) => s.key).sort()).toEqual(
      [...seeded.servers, ...databases].map((s) => s.id.toLowerCase()).sort(),
    );
    const written = JSON.parse(text) as { firewallRules: Record<string, unknown[]> };
    expect(Object.keys(written.firewallRules).length).toBe(Object.keys(seeded.firewallRules).length + databases.length);
    expect(err.join('')).toContain(`wrote ${seeded.servers.length + databases.length} servers`);

    const plan = buildPlan({
      now: new Date('2026-11-21T12:00:00Z'),
      policy: DEFAULT_POLICY,
      servers: snapshot.servers,
      inventory: [],
      restoreEvidence: snapshot.restoreEvidence,
      settings: { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] },
    });
    expect(plan.servers.filter((s) => s.classification === 'clone').length).toBeGreaterThan(0);
  });

  it('armFromServer is the inverse of serverFromArm', () => {
    const seeded = JSON.parse(readFileSync(estate, 'utf8')) as { servers: unknown[] };
    for (const raw of seeded.servers) {
      const server = serverFromArm(raw);
      expect(serverFromArm(armFromServer(server))).toEqual(server);
    }
  });

  it('refuses a nonsensical --activity-days', async () => {
    await expect(
      snapshotCommand({ out: () => undefined, err: () => undefined })
        .exitOverride()
        .parseAsync(['--activity-days', 'lots'], { from: 'user' }),
    ).rejects.toThrow(/--activity-days: lots/);
  });
});
