import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotError, startEmulator, type Emulator, type EmulatorSnapshot } from '../../src/local/emulator/index.js';
import { call, clients, seedServer, serverIdOf, SUB1 } from './helpers.js';

// One real PostgreSQL source for the whole file: starting one costs seconds.
const source = seedServer(SUB1, 'rg-prod', 'pg-prod', { tags: { Environment: 'Production' } });
const snapshot: EmulatorSnapshot = {
  servers: [source, seedServer(SUB1, 'rg-prod', 'pg-plain')],
  dataPlanes: {
    [source.id]: {
      database: 'orders',
      seedSql: ['create table orders (id int primary key, note text)', "insert into orders values (1, 'seed')"],
    },
  },
};

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ snapshot, dataPlane: true });
});
afterAll(async () => {
  await emulator?.close();
});

const restoreTo = (name: string, pointInTime: Date) =>
  clients(emulator).postgres.servers.beginCreateOrUpdateAndWait(
    'rg-prod',
    name,
    {
      location: 'eastus',
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: source.id,
      pointInTimeUTC: pointInTime,
    },
    { updateIntervalInMs: 20 },
  );

async function rowsOver(tls: boolean, serverId: string): Promise<number[]> {
  const c = emulator.dataPlanes.connection(serverId)!;
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    ssl: tls ? { ca: c.caCertPem } : false,
  });
  await client.connect();
  try {
    return (await client.query<{ id: number }>('select id from orders order by id')).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

describe('data plane: real PostgreSQL behind the servers the snapshot names', () => {
  it('a point-in-time restore holds exactly the rows committed before the restore point, over TLS, and goes with the server', async () => {
    await emulator.dataPlanes.query(source.id, "insert into orders values (2, 'before')");
    const point = emulator.clock.now();
    await emulator.dataPlanes.query(source.id, "insert into orders values (3, 'after')");

    const clone = await restoreTo('pg-prod-pitr', point);
    expect(clone.state).toBe('Ready');
    const cloneId = serverIdOf(SUB1, 'rg-prod', 'pg-prod-pitr');
    // Ready means connectable: the data plane was restored before the operation succeeded.
    expect(await rowsOver(true, cloneId)).toEqual([1, 2]);
    expect(await rowsOver(true, source.id)).toEqual([1, 2, 3]);
    expect(emulator.dataPlanes.connection(cloneId)).toMatchObject({ user: 'ordersadmin', database: 'orders' });

    await clients(emulator).postgres.servers.beginDeleteAndWait('rg-prod', 'pg-prod-pitr', { updateIntervalInMs: 20 });
    expect(emulator.dataPlanes.connection(cloneId)).toBeUndefined();
    expect(emulator.dataPlanes.list()).toEqual([source.id]);
  });

  it('a restore point before the first base backup brings back the seeded data; a server without a data plane gets none', async () => {
    await restoreTo('pg-prod-old', new Date(emulator.clock.now().getTime() - 3_600_000));
    expect(await rowsOver(true, serverIdOf(SUB1, 'rg-prod', 'pg-prod-old'))).toEqual([1]);
    const plainClone = await clients(emulator).postgres.servers.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-plain-pitr',
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: serverIdOf(SUB1, 'rg-prod', 'pg-plain'),
        pointInTimeUTC: emulator.clock.now(),
      },
      { updateIntervalInMs: 20 },
    );
    expect(plainClone.state).toBe('Ready');
    expect(emulator.dataPlanes.connection(plainClone.id!)).toBeUndefined();
  });

  it('the admin endpoint gives connection details; a snapshot naming an unknown server is refused before anything starts', async () => {
    const one = await call(
      emulator,
      'GET',
      `/_emulator/dataplanes?server=${encodeURIComponent(source.id.toUpperCase())}`,
    );
    expect(one.status).toBe(200);
    expect(one.body).toEqual(emulator.dataPlanes.connection(source.id));
    expect(one.body).toMatchObject({ host: '127.0.0.1', user: 'ordersadmin', database: 'orders' });
    expect(
      (
        await call(
          emulator,
          'GET',
          `/_emulator/dataplanes?server=${encodeURIComponent(serverIdOf(SUB1, 'rg-prod', 'pg-plain'))}`,
        )
      ).status,
    ).toBe(404);
    await expect(
      startEmulator({
        snapshot: { servers: [], dataPlanes: { [serverIdOf(SUB1, 'rg', 'ghost')]: {} } },
        dataPlane: true,
      }),
    ).rejects.toThrow(SnapshotError);
    await expect(
      startEmulator({
        snapshot: { servers: [], dataPlanes: { [serverIdOf(SUB1, 'rg', 'ghost')]: {} } },
        dataPlane: true,
      }),
    ).rejects.toThrow(/dataPlanes\[".*ghost"\]: no such server/);
  });
});
