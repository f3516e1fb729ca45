import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shiftSnapshotDates } from '../../src/local/emulator/snapshot.js';
import type { EmulatorSnapshot } from '../../src/local/emulator/types.js';

const estate = JSON.parse(
  readFileSync(new URL('../../examples/estate.json', import.meta.url), 'utf8'),
) as EmulatorSnapshot;
const byName = (s: EmulatorSnapshot, name: string) => s.servers.find((x) => x.name === name)!;

describe('the demo estate moves to the day it starts', () => {
  const now = new Date('2027-03-02T15:30:00Z');
  const shifted = shiftSnapshotDates(estate, now);
  const shiftMs = now.getTime() - Date.parse(estate.asOf!);

  it('moves date-times exactly and date-only tags by whole days, keeping how far each lies from "now"', () => {
    const fresh = byName(estate, 'pg-orders-prod-pitr-20261121');
    expect(Date.parse(byName(shifted, fresh.name).systemData!.createdAt!)).toBe(
      Date.parse(fresh.systemData!.createdAt!) + shiftMs,
    );
    const withDateExpiry = estate.servers.find((s) => /^\d{4}-\d{2}-\d{2}$/.test(s.tags?.ExpiresOn ?? ''))!;
    const days = Math.round(shiftMs / 86_400_000);
    expect(byName(shifted, withDateExpiry.name).tags!.ExpiresOn).toBe(
      new Date(Date.parse(`${withDateExpiry.tags!.ExpiresOn!}T00:00:00Z`) + days * 86_400_000)
        .toISOString()
        .slice(0, 10),
    );
    const first = estate.activityLog![0]!;
    expect(Date.parse(String(shifted.activityLog![0]!.eventTimestamp))).toBe(
      Date.parse(String(first.eventTimestamp)) + shiftMs,
    );
  });

  it('leaves nothing of the estate in the future of its start, and keeps names and unparseable values', () => {
    const times = JSON.stringify(shifted).match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g) ?? [];
    expect(times.length).toBeGreaterThan(20);
    for (const t of times) expect(Date.parse(t)).toBeLessThanOrEqual(now.getTime());
    expect(shifted.servers.map((s) => s.name)).toEqual(estate.servers.map((s) => s.name));
    expect(shifted.servers.map((s) => s.tags?.ExpiresOn).filter((v) => v !== undefined && !/^\d{4}-/.test(v))).toEqual(
      estate.servers.map((s) => s.tags?.ExpiresOn).filter((v) => v !== undefined && !/^\d{4}-/.test(v)),
    );
  });

  it('changes nothing without asOf', () => {
    const { asOf: _asOf, ...plain } = estate;
    expect(shiftSnapshotDates(plain, now)).toEqual(plain);
  });
});
