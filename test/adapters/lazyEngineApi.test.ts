import { describe, expect, it } from 'vitest';
import { lazyEngineApi, type EngineServersApi } from '../../src/adapters/azure/arm/engineApi.js';
import { parseServerId } from '../../src/domain/ids.js';
import { SUB1 } from '../support/estate.js';

const ref = parseServerId(
  `/subscriptions/${SUB1}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-a`,
)!;

const KNOWN = { deleteApiVersion: '2025-08-01' };

/** An engine API whose calls say who answered; `extra` adds optional calls. */
function fakeApi(extra: Partial<EngineServersApi> = {}): EngineServersApi & { calls: string[] } {
  const calls: string[] = [];
  const answer =
    <T>(name: string, value: T) =>
    (): Promise<T> => {
      calls.push(name);
      return Promise.resolve(value);
    };
  return {
    calls,
    deleteApiVersion: '2025-08-01',
    list: answer('list', []),
    get: answer('get', undefined),
    listFirewallRules: answer('listFirewallRules', []),
    deleteFirewallRule: answer('deleteFirewallRule', undefined),
    disablePublicAccess: answer('disablePublicAccess', undefined),
    stop: answer('stop', undefined),
    delete: answer('delete', undefined),
    checkName: answer('checkName', { available: true }),
    beginRestore: () => Promise.reject(new Error('not here')),
    ...extra,
  };
}

/** A load that resolves to `api` (as `import()` of its module would); `loads` counts the calls. */
function loader(api: () => EngineServersApi): (() => Promise<EngineServersApi>) & { loads: number } {
  const load = Object.assign(
    () => {
      load.loads++;
      return Promise.resolve().then(api);
    },
    { loads: 0 },
  );
  return load;
}

/** An engine's SDK calls behind `import()`: loaded on the first call, once, with the optional calls its entry names. */
describe('lazyEngineApi', () => {
  it('loads nothing until the first call, then once for every call after', async () => {
    const api = fakeApi();
    const load = loader(() => api);
    const lazy = lazyEngineApi(load, KNOWN);
    expect(load.loads).toBe(0);
    await Promise.all([lazy.list(SUB1), lazy.get!(ref), lazy.delete(ref)]);
    await lazy.stop(ref);
    expect(load.loads).toBe(1);
    expect(api.calls.sort()).toEqual(['delete', 'get', 'list', 'stop']);
  });

  it('has the optional calls its entry names before anything is loaded, and they reach the loaded API', async () => {
    const upserted: string[] = [];
    const lazy = lazyEngineApi(
      loader(() =>
        fakeApi({
          upsertFirewallRule: (_ref, rule) => {
            upserted.push(rule.name);
            return Promise.resolve();
          },
        }),
      ),
      { ...KNOWN, upsertFirewallRule: true },
    );
    expect(typeof lazy.upsertFirewallRule).toBe('function');
    expect('restoreProgress' in lazy).toBe(false);
    await lazy.upsertFirewallRule?.(ref, { name: 'drill', startIpAddress: '10.0.0.1', endIpAddress: '10.0.0.1' });
    expect(upserted).toEqual(['drill']);
  });

  it("knows the engine's DELETE api-version before loading, and refuses an API that deletes at another", async () => {
    const load = loader(() => fakeApi());
    expect(lazyEngineApi(load, KNOWN).deleteApiVersion).toBe('2025-08-01');
    expect(load.loads).toBe(0);
    const other = lazyEngineApi(load, { deleteApiVersion: '2021-05-01' });
    await expect(other.list(SUB1)).rejects.toThrow(/deletes at api-version 2025-08-01, its entry says 2021-05-01/);
  });

  it('refuses an API whose optional calls differ from its entry, naming the call', async () => {
    const missing = lazyEngineApi(
      loader(() => fakeApi()),
      { ...KNOWN, restoreProgress: true },
    );
    await expect(missing.list(SUB1)).rejects.toThrow(/lacks restoreProgress/);
    const extra = lazyEngineApi(
      loader(() => fakeApi({ restoreProgress: () => Promise.resolve(undefined) })),
      KNOWN,
    );
    await expect(extra.list(SUB1)).rejects.toThrow(/has restoreProgress/);
  });

  it('an entry that reads its servers at an api-version has no get; an API that differs is refused, naming why', async () => {
    const restRead: EngineServersApi = { ...fakeApi(), get: undefined };
    const reads = lazyEngineApi(
      loader(() => ({ ...restRead, readApiVersion: '2025-08-01' })),
      { ...KNOWN, readApiVersion: '2025-08-01' },
    );
    expect(reads.readApiVersion).toBe('2025-08-01');
    expect('get' in reads).toBe(false);
    await expect(reads.list(SUB1)).resolves.toEqual([]);

    const both = lazyEngineApi(
      loader(() => ({ ...fakeApi(), readApiVersion: '2025-08-01' })),
      { ...KNOWN, readApiVersion: '2025-08-01' },
    );
    await expect(both.list(SUB1)).rejects.toThrow(
      /has get, though its entry reads its servers at api-version 2025-08-01/,
    );
    const neither = lazyEngineApi(
      loader(() => restRead),
      KNOWN,
    );
    await expect(neither.list(SUB1)).rejects.toThrow(/lacks get, and its entry names no api-version/);
  });

  it('tries a failed load again on the next call', async () => {
    const load = loader(() => {
      if (load.loads === 1) throw new Error('cannot load the SDK');
      return fakeApi();
    });
    const lazy = lazyEngineApi(load, KNOWN);
    await expect(lazy.list(SUB1)).rejects.toThrow('cannot load the SDK');
    await expect(lazy.list(SUB1)).resolves.toEqual([]);
    expect(load.loads).toBe(2);
  });
});
