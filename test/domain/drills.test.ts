import { describe, expect, it } from 'vitest';
import {
  drillDue,
  drillHealth,
  evaluateObjectives,
  judgeCheck,
  minutesPer100Gb,
  type DrillRecord,
} from '../../src/domain/drills.js';
import { renderDrillHtml } from '../../src/domain/drillReport.js';
import { validatePolicy } from '../../src/domain/policy.js';

const ID =
  '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-orders-prod';
const plan = { name: 'orders-nightly', sources: { ids: [ID] }, schedule: '0 0 2 * * *', owner: 'dba@contoso.com' };
const parsed = () => {
  const result = validatePolicy({ drills: [plan] });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.policy.drills[0]!;
};

function record(over: Partial<DrillRecord> = {}): DrillRecord {
  const phases = [
    { phase: 'requested', at: '2026-11-20T02:00:00Z' },
    { phase: 'accepted', at: '2026-11-20T02:00:01Z' },
    { phase: 'ready', at: '2026-11-20T02:06:30Z' },
    { phase: 'validated', at: '2026-11-20T02:07:00Z' },
  ] as const;
  return {
    id: 'drill-orders-nightly-202611200200',
    plan: 'orders-nightly',
    sourceId: ID,
    sourceName: 'pg-orders-prod',
    cloneId: `${ID}-x`,
    cloneName: 'x',
    owner: 'dba@contoso.com',
    requestedBy: 'pitr-warden',
    requestedPoint: '2026-11-20T02:00:00Z',
    status: 'passed',
    phases,
    objectives: evaluateObjectives(parsed(), phases),
    checks: [],
    failures: [],
    cloneState: 'deleted',
    startedAt: '2026-11-20T02:00:00Z',
    ...over,
  };
}

describe('drill plans in the policy', () => {
  it('fills defaults and names the drill and the field in every problem', () => {
    expect(parsed()).toMatchObject({
      restorePoint: 'latest',
      keepMinutes: 0,
      objectives: { readyMinutes: 60, validatedMinutes: 90 },
      database: 'postgres',
      validation: [],
    });
    const result = validatePolicy({
      drills: [
        {
          ...plan,
          schedule: '0 2 * * *',
          owner: 'dba',
          restorePoint: { minutesAgo: -5 },
          validation: [{ type: 'count', name: 'x', sql: 'select 1' }],
        },
        { ...plan, sources: {} },
      ],
    });
    expect(result.ok ? [] : result.problems).toEqual([
      'drills[0] (orders-nightly).schedule: "0 2 * * *" is not an NCRONTAB schedule: six fields {second} {minute} {hour} {day} {month} {day-of-week}, such as "0 0 2 * * *"',
      'drills[0] (orders-nightly).restorePoint.minutesAgo: must be at least 0',
      'drills[0] (orders-nightly).validation[0].type: unknown check type "count"; expected one of "value", "recovery-point"',
      'drills[0] (orders-nightly).owner: must be an e-mail address',
      'drills[1] (orders-nightly).sources: give ids or tags: which servers to drill',
      'drills[1] (orders-nightly).name: duplicate drill name; already given at drills[0]',
    ]);
  });

  it('is due once per schedule occurrence', () => {
    const p = parsed();
    expect(drillDue(p, new Date('2026-11-19T02:00:00Z'), new Date('2026-11-20T01:59:00Z'))).toBe(false);
    expect(drillDue(p, new Date('2026-11-19T02:00:00Z'), new Date('2026-11-20T02:00:30Z'))).toBe(true);
    expect(drillDue(p, new Date('2026-11-20T02:00:00Z'), new Date('2026-11-20T09:00:00Z'))).toBe(false);
  });
});

describe('drill verdicts', () => {
  it('judges values and the achieved recovery point', () => {
    const point = new Date('2026-11-20T02:00:00Z');
    expect(judgeCheck({ type: 'value', name: 'n', sql: 'q', atLeast: 10 }, '9', point)).toMatchObject({
      passed: false,
      value: '9',
      expected: 'at least 10',
    });
    expect(judgeCheck({ type: 'value', name: 'n', sql: 'q', equals: '1,2' }, '1,2', point).passed).toBe(true);
    const lagging = judgeCheck(
      { type: 'recovery-point', name: 'rp', sql: 'q', maxLagMinutes: 5 },
      new Date('2026-11-20T01:50:00Z'),
      point,
    );
    expect(lagging).toMatchObject({ passed: false });
    expect(judgeCheck({ type: 'recovery-point', name: 'rp', sql: 'q', maxLagMinutes: 5 }, null, point)).toMatchObject({
      passed: false,
      error: 'expected a timestamp, got null',
    });
    expect(minutesPer100Gb(6.5, 1024 ** 3)).toBe(650);
  });

  it('a missed objective alone makes the source unhealthy; the newest finished drill counts', () => {
    const slow = record({
      id: 'late',
      startedAt: '2026-11-21T02:00:00Z',
      objectives: [
        { objective: 'ready', limitMinutes: 5, actualMinutes: 6.5, met: false },
        { objective: 'validated', limitMinutes: 90, actualMinutes: 7, met: true },
      ],
    });
    expect(drillHealth([record(), slow])).toEqual([
      expect.objectContaining({ drillId: 'late', healthy: false, detail: 'missed ready objective (6.5 of 5 min)' }),
    ]);
    expect(
      drillHealth([record(), record({ id: 'running', status: 'running', startedAt: '2026-11-22T00:00:00Z' })]),
    ).toEqual([expect.objectContaining({ drillId: record().id, healthy: true })]);
  });

  it('the HTML report shows each phase on the timeline, escaped', () => {
    const html = renderDrillHtml(record({ failures: ['check "<x>" failed'] }));
    expect(html.match(/<li class="phase"/g)).toHaveLength(4);
    expect(html).toContain('data-phase="ready"');
    expect(html).toContain('+6.5 min');
    expect(html).toContain('check &quot;&lt;x&gt;&quot; failed');
  });
});
