import { readFileSync } from 'node:fs';
import type { ActivityLog } from './activityLog.js';
import { completeServer } from './arm/serverShape.js';
import { lockId } from './arm/locks.js';
import { isRecord } from './http.js';
import type { ArmStore } from './store.js';
import type { ArmFirewallRule, ArmLock, EmulatorSnapshot } from './types.js';
import { parseResourceId } from './ids.js';

/** A snapshot that cannot seed the emulator; the message names the file and every problem. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

export function readSnapshot(source: EmulatorSnapshot | string): EmulatorSnapshot {
  if (typeof source !== 'string') return source;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(source, 'utf8'));
  } catch (cause) {
    throw new SnapshotError(`Cannot read emulator snapshot ${source}: ${(cause as Error).message}`, { cause });
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.servers))
    throw new SnapshotError(`Emulator snapshot ${source} needs a "servers" array.`);
  return parsed as unknown as EmulatorSnapshot;
}

const DAY_MS = 86_400_000;
/** Dates and date-times with a zone, as snapshots write them (tags, systemData, Activity Log, request bodies inside strings). */
const ISO = /\b(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?(?![\d:T])/g;

/**
 * The snapshot with its times moved by the time between its `asOf` and `to`: a demo estate written once reads the same on
 * any day (a clone restored "an hour ago" still was, one "expiring in 2 days" still does). Date-times move exactly, dates
 * alone by whole days. Without `asOf`, unchanged.
 * @example shiftSnapshotDates('examples/estate.json', new Date()) // asOf 2026-11-21T09:00:00Z, now 14 days later: every time + 14 days
 */
export function shiftSnapshotDates(source: EmulatorSnapshot | string, to: Date): EmulatorSnapshot {
  const snapshot = readSnapshot(source);
  const asOf = snapshot.asOf ? Date.parse(/T/.test(snapshot.asOf) ? snapshot.asOf : `${snapshot.asOf}T00:00:00Z`) : NaN;
  if (!Number.isFinite(asOf)) return snapshot;
  const shiftMs = to.getTime() - asOf;
  const shiftDays = Math.round(shiftMs / DAY_MS);
  const shifted = JSON.stringify(snapshot).replace(ISO, (whole, date: string, time: string | undefined) => {
    const at = Date.parse(time ? `${date}${time}` : `${date}T00:00:00Z`);
    if (!Number.isFinite(at)) return whole;
    if (!time) return new Date(at + shiftDays * DAY_MS).toISOString().slice(0, 10);
    const moved = new Date(at + shiftMs).toISOString();
    return /\.\d/.test(time) ? moved : moved.replace(/\.\d{3}Z$/, 'Z');
  });
  return JSON.parse(shifted) as EmulatorSnapshot;
}

/** Seeds the store and the Activity Log; completes partial server objects with the fields GET returns. */
export function loadSnapshot(snapshot: EmulatorSnapshot, store: ArmStore, activityLog: ActivityLog, now: Date): void {
  const problems: string[] = [];
  snapshot.servers.forEach((server, i) => {
    if (
      !isRecord(server) ||
      typeof server.id !== 'string' ||
      !parseResourceId(server.id) ||
      parseResourceId(server.id)?.child
    ) {
      problems.push(`servers[${i}]: needs the id of a flexible server`);
      return;
    }
    if (parseResourceId(server.id)?.engine === 'sql-database') {
      problems.push(`servers[${i}]: a SQL database goes in "sqlDatabases", under its logical server in "sqlServers"`);
      return;
    }
    const record = store.put(completeServer(server, now));
    // A seeded server has been Ready since it was created: its first backup follows on the emulator clock.
    if (record.server.properties.state !== 'Provisioning')
      record.readyAt = {
        clockMs: Date.parse(record.server.systemData?.createdAt ?? now.toISOString()),
        realMs: performance.now(),
      };
  });
  for (const [id, rules] of Object.entries(snapshot.firewallRules ?? {})) {
    const record = store.get(parseResourceId(id)?.key ?? id);
    if (!record) {
      problems.push(`firewallRules["${id}"]: no such server in "servers"`);
      continue;
    }
    seedFirewallRules(`firewallRules["${id}"]`, record.server, rules, record.rules, problems);
  }
  for (const [scope, locks] of Object.entries(snapshot.locks ?? {})) {
    const canonicalScope = store.get(parseResourceId(scope)?.key ?? '')?.server.id ?? scope;
    for (const lock of locks) {
      const level = lock.properties?.level;
      if (typeof lock.name !== 'string' || (level !== 'CanNotDelete' && level !== 'ReadOnly')) {
        problems.push(`locks["${scope}"]: every lock needs name and properties.level CanNotDelete or ReadOnly`);
        continue;
      }
      const full: ArmLock = {
        id: lockId(canonicalScope, lock.name),
        name: lock.name,
        type: 'Microsoft.Authorization/locks',
        properties: { ...lock.properties, level },
      };
      store.putLock(canonicalScope, full);
      const sub = /^\/subscriptions\/([^/]+)/i.exec(canonicalScope)?.[1];
      if (sub) store.subscriptions.add(sub.toLowerCase());
    }
  }
  (snapshot.activityLog ?? []).forEach((entry, i) => {
    if (!isRecord(entry) || typeof entry.subscriptionId !== 'string' || typeof entry.eventTimestamp !== 'string') {
      problems.push(`activityLog[${i}]: needs subscriptionId and eventTimestamp`);
      return;
    }
    activityLog.add(entry);
  });
  if (problems.length > 0)
    throw new SnapshotError(
      `Emulator snapshot has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
}

/** The current state in the snapshot format (what GET returns), e.g. to save a demo estate after changes. */
export function exportSnapshot(store: ArmStore, activityLog: ActivityLog): EmulatorSnapshot {
  const records = store.allServers();
  const locks: EmulatorSnapshot['locks'] = {};
  for (const { lock } of store.allLocks()) {
    const scope = lock.id.replace(/\/providers\/Microsoft\.Authorization\/locks\/[^/]+$/i, '');
    (locks[scope] ??= []).push(lock);
  }
  return {
    servers: records.map((r) => r.server),
    firewallRules: Object.fromEntries(
      records.filter((r) => r.rules.size > 0).map((r) => [r.server.id, [...r.rules.values()]]),
    ),
    locks,
    activityLog: activityLog.all(),
  };
}

/**
 * One server's firewall rules from a snapshot into `into` (flexible server or logical server alike), completed as GET
 * returns them; a rule without a name or a range is a problem named by `where`.
 */
export function seedFirewallRules(
  where: string,
  parent: { readonly id: string; readonly type: string },
  rules: readonly Partial<ArmFirewallRule>[],
  into: Map<string, ArmFirewallRule>,
  problems: string[],
): void {
  for (const rule of rules) {
    const start = rule.properties?.startIpAddress;
    const end = rule.properties?.endIpAddress;
    if (typeof rule.name !== 'string' || typeof start !== 'string' || typeof end !== 'string') {
      problems.push(`${where}: every rule needs name, properties.startIpAddress and properties.endIpAddress`);
      continue;
    }
    into.set(rule.name.toLowerCase(), {
      id: `${parent.id}/firewallRules/${rule.name}`,
      name: rule.name,
      type: `${parent.type}/firewallRules`,
      properties: { startIpAddress: start, endIpAddress: end },
    });
  }
}
