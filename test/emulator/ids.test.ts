import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResourceId, resourceId, resourceType } from '../../src/local/emulator/ids.js';

// The emulator reads ids with its own code (not the warden's parser it is meant to check).
describe('emulator ids', () => {
  it('reads a flexible server id and its child in any casing, and a SQL database under its logical server', () => {
    expect(
      parseResourceId(
        '/SUBSCRIPTIONS/ABC/resourcegroups/rg-Prod/providers/microsoft.dbformysql/FLEXIBLESERVERS/my-1/firewallRules/allow',
      ),
    ).toEqual({
      id: '/subscriptions/abc/resourceGroups/rg-Prod/providers/Microsoft.DBforMySQL/flexibleServers/my-1',
      key: '/subscriptions/abc/resourcegroups/rg-prod/providers/microsoft.dbformysql/flexibleservers/my-1',
      engine: 'mysql-flexible',
      subscriptionId: 'abc',
      resourceGroup: 'rg-Prod',
      name: 'my-1',
      child: { type: 'firewallRules', name: 'allow' },
    });
    expect(
      parseResourceId('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-1/databases/orders'),
    ).toMatchObject({
      engine: 'sql-database',
      name: 'orders',
      parents: [{ type: 'servers', name: 'sql-1' }],
    });
  });

  it('refuses ids of other resources and a logical server without its database', () => {
    expect(parseResourceId('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-1')).toBeUndefined();
    expect(
      parseResourceId('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st'),
    ).toBeUndefined();
    expect(parseResourceId('not an id')).toBeUndefined();
  });

  it('writes ids and types the way Azure spells them', () => {
    expect(resourceId('postgresql-flexible', 's', 'rg', 'pg')).toBe(
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg',
    );
    expect(resourceType('sql-database')).toBe('Microsoft.Sql/servers/databases');
    expect(() => resourceId('sql-database', 's', 'rg', 'db')).toThrow(
      'Microsoft.Sql/servers/databases ids have 2 name(s), got 1',
    );
  });
});

describe('the emulator stands apart from the warden it checks', () => {
  it('imports nothing from src/domain, src/jobs, src/adapters or src/cli', () => {
    const dir = join(import.meta.dirname, '../../src/local/emulator');
    const offenders = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /from '(\.\.\/)+(domain|jobs|adapters|cli)\//.test(readFileSync(join(dir, f), 'utf8')));
    expect(offenders, "use src/local/emulator/ids.ts and the emulator's own shapes").toEqual([]);
  });
});
