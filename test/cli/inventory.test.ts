import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidenceCommand, inventoryCommand } from '../../src/cli/commands/inventory.js';
import { loadConfig } from '../../src/config.js';
import type { InventoryRecord } from '../../src/domain/model.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { build } from '../../src/wiring.js';
import { startStack, type TestStack } from '../support/stack.js';

const estate = fileURLToPath(new URL('../../examples/estate.json', import.meta.url));

async function run(command: ReturnType<typeof inventoryCommand>, argv: string[]): Promise<void> {
  await command.exitOverride().parseAsync(argv, { from: 'user' });
}

describe('pitr-warden inventory and evidence, against Table Storage', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ snapshot: estate });
    Object.assign(process.env, stack.settings);
    await reconcile(await build(loadConfig(stack.settings)));
  });
  afterAll(async () => stack?.close());

  it('inventory list shows clones (not production) with owner and expiry, as JSON and as a table', async () => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => undefined };
    await run(inventoryCommand(io), ['list', '--output', 'json']);
    const rows = JSON.parse(out.join('')) as InventoryRecord[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.classification !== 'not-a-clone')).toBe(true);
    expect(rows.some((r) => r.owner && r.ownerSource)).toBe(true);

    out.length = 0;
    await run(inventoryCommand(io), ['list', '--all']);
    const table = out.join('');
    expect(table).toMatch(/^NAME\s+ENGINE\s+RESOURCEGROUP\s+CLASS\s+PROOF\s+STATE\s+OWNER\s+EXPIRESON/m);
    expect(table).toContain('not-a-clone');
  });

  it('inventory export prints every row, loadable as a plan snapshot inventory', async () => {
    const out: string[] = [];
    await run(inventoryCommand({ out: (t) => out.push(t), err: () => undefined }), ['export']);
    const rows = JSON.parse(out.join('')) as InventoryRecord[];
    expect(rows.some((r) => r.classification === 'not-a-clone')).toBe(true);
    expect(rows.every((r) => r.key === r.key.toLowerCase())).toBe(true);
  });

  it('evidence finds a server by name and prints its entries oldest first; an unknown name is a clear error', async () => {
    const listed: string[] = [];
    await run(inventoryCommand({ out: (t) => listed.push(t), err: () => undefined }), ['list', '--output', 'json']);
    const clone = (JSON.parse(listed.join('')) as InventoryRecord[])[0]!;
    const out: string[] = [];
    await evidenceCommand({ out: (t) => out.push(t), err: () => undefined })
      .exitOverride()
      .parseAsync([clone.name, '--output', 'json'], { from: 'user' });
    const { server, entries } = JSON.parse(out.join('')) as {
      server: string;
      entries: Array<{ at: string; kind: string }>;
    };
    expect(server).toBe(clone.id);
    expect(entries.map((e) => e.kind)).toContain('classified');
    expect([...entries].sort((a, b) => a.at.localeCompare(b.at))).toEqual(entries);
    await expect(
      evidenceCommand({ out: () => undefined, err: () => undefined })
        .exitOverride()
        .parseAsync(['no-such-server'], { from: 'user' }),
    ).rejects.toThrow(/No server named no-such-server/);
  });
});
