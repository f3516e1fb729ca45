import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { MemoryServers } from '../../src/adapters/memory/servers.js';
import { serverFromArm } from '../../src/domain/snapshot.js';
import { armClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import type { ServersPort } from '../../src/ports/servers.js';
import { armServer } from '../support/estate.js';

/** Tag writes behave alike on the real adapter (emulator) and the memory twin the unit tests use. */
const seed = () =>
  armServer({ name: 'pg-clone', tags: { Owner: 'alice@contoso.com', LegalHold: 'case 88', Keep: 'me' } });

function tagContract(name: string, make: () => Promise<{ servers: ServersPort; id: string; close(): Promise<void> }>) {
  describe(`ServersPort tags: ${name}`, () => {
    let t: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => (t = await make()));
    afterAll(async () => t?.close());

    it('mergeTags adds and overwrites, keeping the rest', async () => {
      await t.servers.mergeTags(t.id, { Owner: 'bob@contoso.com', Incident: 'INC-1' });
      expect((await t.servers.get(t.id))?.tags).toEqual({
        Owner: 'bob@contoso.com',
        LegalHold: 'case 88',
        Keep: 'me',
        Incident: 'INC-1',
      });
    });

    it('deleteTags removes a tag only when its value is the one named', async () => {
      await t.servers.deleteTags(t.id, { Keep: 'something else' });
      expect((await t.servers.get(t.id))?.tags.Keep).toBe('me');
      await t.servers.deleteTags(t.id, { LegalHold: 'case 88' });
      expect((await t.servers.get(t.id))?.tags).not.toHaveProperty('LegalHold');
      expect((await t.servers.get(t.id))?.tags.Keep).toBe('me');
    });
  });
}

tagContract('memory twin', () => {
  const server = serverFromArm(seed());
  return Promise.resolve({ servers: new MemoryServers([server]), id: server.id, close: () => Promise.resolve() });
});

tagContract('Azure SDKs on the emulator', async () => {
  const raw = seed();
  const emulator: Emulator = await startEmulator({ snapshot: { servers: [raw] } });
  return {
    servers: new ArmServers({
      credential: emulator.credential,
      clientOptions: armClientOptions(emulator),
      pollIntervalInMs: 10,
    }),
    id: raw.id,
    close: () => emulator.close(),
  };
});
