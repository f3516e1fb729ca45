import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { DRILL_PHASE_LABELS, DRILL_PHASES, type DrillPhase, type DrillRecord } from '../src/domain/drills.js';
import { drillDeps, runDrill } from '../src/jobs/drills.js';
import { startAzurite } from '../src/local/azurite.js';
import { startEmulator, type EmulatorSnapshot } from '../src/local/emulator/index.js';
import { sandboxSettings } from '../src/local/sandboxSettings.js';
import { build } from '../src/wiring.js';

const SUB = '00000000-0000-4000-8000-0000000000d1';
const MB = 1024 ** 2;

/**
 * `npm run bench -- drill [sizeMb ...]`: restore drills of three sources on real PostgreSQL (default 16, 128 and
 * 512 MB of rows in the base backup, plus a tenth more written after it for the WAL replay), on the emulator's virtual
 * clock (Azure time: a restore takes 6.5 minutes plus 6.5 s per GB, a delete one). Prints each phase's duration in
 * Azure time and the real time the machine spent on it (base backup copy, WAL replay, queries), the restored size and
 * the restore minutes per 100 GB.
 */
export async function run(args: string[]): Promise<void> {
  const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const sizesMb = sizes.length > 0 ? sizes : [16, 128, 512];
  const sources = sizesMb.map((mb) => ({
    mb,
    name: `pg-bench-${mb}mb`,
    id: `/subscriptions/${SUB}/resourceGroups/rg-bench/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-bench-${mb}mb`,
  }));
  const snapshot: EmulatorSnapshot = {
    servers: sources.map((s) => ({
      id: s.id,
      name: s.name,
      type: 'Microsoft.DBforPostgreSQL/flexibleServers',
      location: 'eastus',
      tags: { Environment: 'Production', Owner: 'app-team@contoso.com' },
      sku: { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' },
      systemData: { createdAt: new Date(Date.now() - 30 * 86_400_000).toISOString() },
      properties: {
        administratorLogin: 'benchadmin',
        version: '16',
        state: 'Ready',
        storage: { storageSizeGB: 128 },
        backup: { backupRetentionDays: 7 },
      },
    })),
    dataPlanes: Object.fromEntries(sources.map((s) => [s.id, { database: 'app', seedSql: [...TABLE, fill(s.mb)] }])),
  };
  const policyPath = join(mkdtempSync(join(tmpdir(), 'bench-drill-')), 'policy.json');
  writeFileSync(
    policyPath,
    JSON.stringify({
      drills: sources.map((s) => ({
        name: `bench-${s.mb}mb`,
        sources: { ids: [s.id] },
        schedule: '0 0 2 * * *',
        owner: 'dba-team@contoso.com',
        database: 'app',
        objectives: { readyMinutes: 60, validatedMinutes: 90 },
        validation: [
          { type: 'value', name: 'rows came back', sql: 'select count(*) from payload', atLeast: 1 },
          { type: 'recovery-point', name: 'newest row', sql: 'select max(created_at) from payload', maxLagMinutes: 5 },
        ],
        queryTimeoutSeconds: 600,
      })),
    }),
  );

  console.log(
    `drill: ${sizesMb.map((mb) => `${mb} MB`).join(', ')} of rows on real PostgreSQL; starting Azurite, the emulator (virtual time) and the sources...`,
  );
  const started = performance.now();
  const azurite = await startAzurite();
  const emulator = await startEmulator({ snapshot, dataPlane: true, virtualTime: true }).catch(
    async (error: unknown) => {
      await azurite.close();
      throw error;
    },
  );
  try {
    console.log(`  ready in ${seconds(performance.now() - started)}`);
    const settings = {
      ...sandboxSettings(azurite, emulator),
      TABLE_PREFIX: `benchdrill${process.pid}`,
      FALLBACK_MAILBOX: 'dba-team@contoso.com',
      ALLOWED_RECIPIENT_DOMAINS: 'contoso.com',
      POLICY_PATH: policyPath,
    };
    const wired = await build(loadConfig(settings), { clock: emulator.clock });
    const deps = drillDeps(wired, 'bench@contoso.com');
    const results: { mb: number; record: DrillRecord; realMs: Partial<Record<DrillPhase, number>> }[] = [];
    for (const source of sources) {
      // Writes after the base backup: the restore replays them from the archived WAL. The app stamps Azure's time.
      await emulator.dataPlanes.query(
        source.id,
        `insert into payload (pad, created_at) select pad, $1 from payload where id % 10 = 0`,
        [emulator.clock.now()],
      );
      emulator.clock.advance(60_000);
      const realMs: Partial<Record<DrillPhase, number>> = {};
      const t0 = performance.now();
      const record = await runDrill(
        {
          plan: wired.policy.drills.find((p) => p.name === `bench-${source.mb}mb`)!,
          source: source.id,
          point: 'latest',
          onPhase: (phase) => (realMs[phase] = performance.now() - t0),
        },
        deps,
      );
      results.push({ mb: source.mb, record, realMs });
      console.log(
        `  ${source.name}: ${record.status}${record.failures.length ? ` (${record.failures.join('; ')})` : ''}`,
      );
    }

    console.log(
      "\nphase durations: Azure time on the emulator's clock (min), and the real time this machine spent (s)",
    );
    console.log(`  ${'phase'.padEnd(34)}${results.map((r) => `${r.mb} MB`.padStart(22)).join('')}`);
    for (const [i, phase] of DRILL_PHASES.entries()) {
      if (i === 0) continue;
      const previous = DRILL_PHASES[i - 1]!;
      const cells = results.map(({ record, realMs }) => {
        const azure = between(record, previous, phase);
        const real =
          realMs[phase] !== undefined && realMs[previous] !== undefined
            ? (realMs[phase] - realMs[previous]) / 1000
            : undefined;
        return `${azure === undefined ? '-' : `${azure.toFixed(2)} min`}${real === undefined ? '' : ` (${real.toFixed(1)} s)`}`.padStart(
          22,
        );
      });
      console.log(`  ${`-> ${DRILL_PHASE_LABELS[phase]}`.padEnd(34)}${cells.join('')}`);
    }
    console.log('\nper drill');
    for (const { mb, record } of results) {
      const ready = record.objectives.find((o) => o.objective === 'ready')?.actualMinutes;
      const total = between(record, 'requested', 'gone');
      console.log(
        `  ${`${mb} MB`.padEnd(8)} restored ${((record.restoredBytes ?? 0) / MB).toFixed(0)} MB, Ready in ${ready ?? '?'} min, whole drill ${total?.toFixed(1) ?? '?'} min, ` +
          `restore ${record.restoreMinutesPer100Gb ?? '?'} min per 100 GB, recovery point lag ${record.recoveryPointLagSeconds ?? '?'} s, cost ${'amount' in (record.cost ?? {}) ? `${(record.cost as { amount: number; currency: string }).amount} ${(record.cost as { currency: string }).currency}` : 'unknown'}`,
      );
    }
    console.log(`\ntotal real time ${seconds(performance.now() - started)}`);
  } finally {
    await emulator.close();
    await azurite.close();
  }
}

const TABLE = ['create table payload (id bigserial primary key, pad text not null, created_at timestamptz not null)'];

/** Rows of ~1 KB until the table holds about `mb` MB, stamped a day ago (before any restore point). */
function fill(mb: number): string {
  const rows = Math.round((mb * MB) / 1100);
  return `insert into payload (pad, created_at) select repeat(md5(g::text), 31), now() - interval '1 day' from generate_series(1, ${rows}) g`;
}

function between(record: DrillRecord, from: DrillPhase, to: DrillPhase): number | undefined {
  const a = record.phases.find((p) => p.phase === from)?.at;
  const b = record.phases.find((p) => p.phase === to)?.at;
  return a && b ? (Date.parse(b) - Date.parse(a)) / 60_000 : undefined;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
