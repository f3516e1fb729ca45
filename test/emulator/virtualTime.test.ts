import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorClock, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { call, clients, NOW, now, seedServer, SUB1 } from './helpers.js';

const MINUTE = 60_000;

describe('virtual time: the clock moves only when someone waits for it', () => {
  it('stands still, and a poll moves it one step, never past the operation it waits for', () => {
    const clock = new EmulatorClock(now, 0, { virtual: true });
    expect(clock.now()).toEqual(NOW);
    const started = clock.mark();
    clock.polled(started, 45_000);
    expect(clock.now().getTime() - NOW.getTime()).toBe(30_000);
    clock.polled(started, 45_000);
    clock.polled(started, 45_000);
    expect(clock.now().getTime() - NOW.getTime()).toBe(45_000);
    expect(clock.elapsedMs(started)).toBe(45_000);
    expect(clock.realMsUntil(started, 10 * MINUTE)).toBe(0);
    // A clock that is not virtual is not moved by polls.
    const plain = new EmulatorClock(now, 0);
    plain.polled(plain.mark(), 45_000);
    expect(plain.now()).toEqual(NOW);
  });

  it("knows when in real time it showed an instant (what a real engine's timestamps call it)", () => {
    const clock = new EmulatorClock(now, 0, { virtual: true });
    const before = Date.now();
    clock.advance(MINUTE);
    const moved = Date.now();
    // The pinned start held until the move: its last real instant is the move's.
    const atStart = clock.realTimeOf(NOW).getTime();
    expect(atStart).toBeGreaterThanOrEqual(before);
    expect(atStart).toBeLessThanOrEqual(moved);
    // An instant skipped by the move maps to the move as well; the current instant is the real now.
    expect(clock.realTimeOf(new Date(NOW.getTime() + 30_000)).getTime()).toBe(atStart);
    expect(clock.realTimeOf(clock.now()).getTime()).toBeGreaterThanOrEqual(moved);
    // Before the start: as far before the real start.
    expect(atStart - clock.realTimeOf(new Date(NOW.getTime() - 3_600_000)).getTime()).toBeGreaterThanOrEqual(3_600_000);
  });
});

describe('virtual time in the emulator: operations take their Azure durations on its clock, at no real wait', () => {
  let emulator: Emulator;
  const source = seedServer(SUB1, 'rg-prod', 'pg-prod');
  beforeAll(async () => {
    emulator = await startEmulator({ snapshot: { servers: [source] }, now, virtualTime: true });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('a restore polled to the end is Ready 6.5 minutes later, a delete one minute after that; the admin clock says virtual', async () => {
    const pg = clients(emulator).postgres;
    const restored = await pg.servers.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-prod-pitr',
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: source.id,
        pointInTimeUTC: new Date(NOW.getTime() - 10 * MINUTE),
      },
      { updateIntervalInMs: 1 },
    );
    expect(restored.state).toBe('Ready');
    expect(emulator.clock.now().getTime() - NOW.getTime()).toBe(6.5 * MINUTE);
    await pg.servers.beginDeleteAndWait('rg-prod', 'pg-prod-pitr', { updateIntervalInMs: 1 });
    expect(emulator.clock.now().getTime() - NOW.getTime()).toBe(7.5 * MINUTE);
    // Polls are what moved it: every status poll of the restore but the last moved the clock 30 s.
    expect(
      emulator.requests.entries({}).filter((r) => r.path.includes('/azureAsyncOperation/')).length,
    ).toBeGreaterThanOrEqual(13);
    const clock = await call(emulator, 'GET', '/_emulator/clock');
    expect(clock.body).toMatchObject({ now: new Date(NOW.getTime() + 7.5 * MINUTE).toISOString(), virtual: true });
  });
});
