/** A drill's report as text (email, terminal) and as a self-contained HTML page with the phases on a timeline. Pure. */
import { DRILL_PHASE_LABELS, drillRuleText, GB, minutesBetween, phaseAt, type DrillRecord } from './drills.js';

export function drillSubject(r: DrillRecord): string {
  return `Restore drill ${r.status === 'passed' ? 'passed' : r.status === 'failed' ? 'FAILED' : 'running'}: ${r.sourceName} (${r.plan}, ${r.startedAt.slice(0, 10)})`;
}

/** Phases with their minutes since the request, in order. */
export function phaseRows(r: DrillRecord): { phase: string; label: string; at: string; minutes: number }[] {
  const start = phaseAt(r, 'requested') ?? r.startedAt;
  return r.phases.map((p) => ({
    phase: p.phase,
    label: DRILL_PHASE_LABELS[p.phase],
    at: p.at,
    minutes: minutesBetween(start, p.at),
  }));
}

const size = (bytes: number | undefined): string =>
  bytes === undefined
    ? 'unknown'
    : bytes >= GB
      ? `${(bytes / GB).toFixed(1)} GB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MB`;

function costText(r: DrillRecord): string {
  if (!r.cost) return 'unknown';
  if ('unknown' in r.cost) return `unknown (${r.cost.unknown})`;
  return `${r.cost.amount.toFixed(2)} ${r.cost.currency} (${r.cost.computeHours} h at ${r.cost.perHour} ${r.cost.currency}/h, list price)`;
}

/** The facts of a drill as label/value pairs, shared by text and HTML. */
export function drillFacts(r: DrillRecord): [string, string][] {
  return [
    ['drill', r.id],
    ['plan', r.plan],
    ['status', r.status],
    ['source', r.sourceId],
    ['clone', `${r.cloneName} (${r.cloneState}${r.deleteAfter ? ` until ${r.deleteAfter}` : ''})`],
    ['owner', r.owner],
    ['requested by', r.requestedBy],
    ['restore point requested', r.requestedPoint],
    [
      'recovery point achieved',
      r.achievedPoint
        ? `${r.achievedPoint} (${r.recoveryPointLagSeconds ?? '?'} s before the requested point)`
        : 'not measured (no recovery-point check)',
    ],
    ['data restored', size(r.restoredBytes)],
    [
      'restore minutes per 100 GB',
      r.restoreMinutesPer100Gb === undefined ? 'unknown' : String(r.restoreMinutesPer100Gb),
    ],
    ['cost', costText(r)],
    ...(r.firewallRules ?? []).map((rule): [string, string] => ['firewall rule for the app', drillRuleText(rule)]),
  ];
}

export function renderDrillText(r: DrillRecord): string {
  const facts = drillFacts(r).map(([k, v]) => `${k.padEnd(28)}${v}`);
  const phases = phaseRows(r).map((p) => `  ${p.label.padEnd(30)}${p.at}  +${p.minutes} min`);
  const objectives = r.objectives.map(
    (o) =>
      `  ${o.met ? 'met   ' : 'MISSED'} ${o.objective.padEnd(10)} ${o.actualMinutes ?? 'never'} min (at most ${o.limitMinutes})`,
  );
  const checks = r.checks.map(
    (c) => `  ${c.passed ? 'pass' : 'FAIL'}  ${c.name}: ${c.error ?? `${c.value ?? ''} (expected ${c.expected})`}`,
  );
  return [
    ...facts,
    '',
    'Phases:',
    ...phases,
    '',
    'Objectives:',
    ...(objectives.length ? objectives : ['  (none evaluated)']),
    '',
    'Checks:',
    ...(checks.length ? checks : ['  (none ran)']),
    ...(r.failures.length ? ['', 'Why it failed:', ...r.failures.map((f) => `  - ${f}`)] : []),
  ].join('\n');
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A page that stands alone (inline CSS): facts, the phases as a timeline, objectives, checks. */
export function renderDrillHtml(r: DrillRecord): string {
  const rows = phaseRows(r);
  const total = Math.max(0.1, ...rows.map((p) => p.minutes));
  const timeline = rows
    .map((p, i) => {
      const next = rows[i + 1];
      const left = (p.minutes / total) * 100;
      const width = next ? Math.max(0.6, ((next.minutes - p.minutes) / total) * 100) : 0.6;
      return `<li class="phase" data-phase="${esc(p.phase)}"><span class="label">${esc(p.label)}</span><span class="track"><span class="bar" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></span><span class="at">+${p.minutes} min <small>${esc(p.at)}</small></span></li>`;
    })
    .join('\n');
  const objectives = r.objectives
    .map(
      (o) =>
        `<tr class="${o.met ? 'ok' : 'bad'}"><td>${esc(o.objective)}</td><td>${o.actualMinutes ?? 'never'} min</td><td>at most ${o.limitMinutes} min</td><td>${o.met ? 'met' : 'missed'}</td></tr>`,
    )
    .join('');
  const checks = r.checks
    .map(
      (c) =>
        `<tr class="${c.passed ? 'ok' : 'bad'}"><td>${esc(c.name)}</td><td><code>${esc(c.sql)}</code></td><td>${esc(c.error ?? c.value ?? '')}</td><td>${esc(c.expected)}</td><td>${c.passed ? 'pass' : 'fail'}</td></tr>`,
    )
    .join('');
  const facts = drillFacts(r)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(drillSubject(r))}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}.status{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.status.passed{background:#107c10}.status.failed{background:#c50f1f}.status.running{background:#8a6d00}
table{border-collapse:collapse;margin:8px 0 18px}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #e5e5e5;vertical-align:top}
tr.bad td{color:#c50f1f}ol.timeline{list-style:none;padding:0;margin:8px 0 18px}
.phase{display:grid;grid-template-columns:230px 1fr 260px;align-items:center;gap:10px;padding:3px 0}
.track{position:relative;height:14px;background:#f0f0f0;border-radius:7px}.bar{position:absolute;top:0;height:14px;background:#0f6cbd;border-radius:7px}
.at small{color:#666}ul.failures li{color:#c50f1f}code{font-size:12px}
</style></head>
<body>
<h1>Restore drill of ${esc(r.sourceName)} <span class="status ${r.status}">${esc(r.status)}</span></h1>
<p>${esc(r.plan)} &middot; started ${esc(r.startedAt)}${r.finishedAt ? ` &middot; finished ${esc(r.finishedAt)}` : ''}</p>
<h2>Timeline</h2>
<ol class="timeline">
${timeline}
</ol>
${r.failures.length ? `<h2>Why it failed</h2><ul class="failures">${r.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}
<h2>Objectives</h2><table class="objectives"><tr><th>objective</th><th>actual</th><th>limit</th><th></th></tr>${objectives}</table>
<h2>Checks</h2><table class="checks"><tr><th>check</th><th>query</th><th>value</th><th>expected</th><th></th></tr>${checks}</table>
<h2>Facts</h2><table class="facts">${facts}</table>
</body></html>
`;
}
