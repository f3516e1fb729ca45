/** Operator decisions on a server's proof: confirm it a clone, dismiss it, promote it. Pure, given `now`. */
import { serverKey } from './ids.js';
import type { OperatorDecision, Proof, Server } from './model.js';
import { parseZonedTime, utcText } from './operator.js';
import { lineageContradictions, mayModify, reviewCommands } from './proof.js';

/** A reason is recorded in the evidence log and on the row: long enough to say who checked what, short enough to read. */
export const DECISION_REASON_MAX_CHARS = 1_000;

export type DecisionCheck =
  { readonly ok: true; readonly decision: OperatorDecision } | { readonly ok: false; readonly problems: string[] };

/**
 * `confirm <server> --clone [--source <id>] [--point <UTC>] --reason` or `confirm <server> --not-a-clone --reason`:
 * the decision to record, or every problem at once. A lineage given with --clone must not contradict itself (source
 * is the server itself, point after the server's creation or in the future, source created after the clone).
 * @example planConfirm({ server, verdict: 'clone', reason: 'restored by me for INC-7', now, operator: 'alice@contoso.com' })
 */
export function planConfirm(input: {
  server: Server;
  verdict: 'clone' | 'not-a-clone';
  reason: string;
  /** The resolved source id (from --source), and the source as read live when it still exists. */
  sourceId?: string;
  source?: Server;
  point?: string;
  now: Date;
  operator: string;
}): DecisionCheck {
  const problems = reasonProblems(input.reason);
  if (input.verdict === 'not-a-clone' && (input.sourceId !== undefined || input.point !== undefined)) {
    problems.push("--source and --point describe a clone's lineage: give them with --clone, not with --not-a-clone");
  }
  let point: string | undefined;
  if (input.point !== undefined) {
    const parsed = parseZonedTime(input.point);
    if (!parsed.ok) problems.push(`--point: ${parsed.problem}`);
    else if (parsed.value.getTime() > input.now.getTime()) problems.push(`--point ${input.point} is in the future`);
    else point = utcText(parsed.value);
  }
  if (input.verdict === 'clone') {
    const contradictions = lineageContradictions(
      input.server,
      { ...(input.sourceId ? { sourceServerId: input.sourceId } : {}), ...(point ? { restorePointUtc: point } : {}) },
      input.source,
    );
    problems.push(...contradictions.map((c) => `--source/--point: ${c}`));
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    decision: {
      kind: input.verdict === 'clone' ? 'confirmed-clone' : 'dismissed',
      by: input.operator,
      at: input.now.toISOString(),
      reason: cleanReason(input.reason),
      ...(input.server.createdAt ? { serverCreatedAt: input.server.createdAt } : {}),
      ...(input.sourceId ? { sourceServerId: input.sourceId } : {}),
      ...(point ? { restorePointUtc: point } : {}),
    },
  };
}

/**
 * `promote <server> --reason`: the clone became a service. Only a proven clone is promoted (the warden removes its
 * ExpiresOn tag, a change); an unproven one is confirmed first.
 */
export function planPromote(input: {
  server: Server;
  proof: Proof;
  reason: string;
  now: Date;
  operator: string;
}): DecisionCheck {
  const problems = reasonProblems(input.reason);
  if (!mayModify(input.proof)) {
    const { confirm } = reviewCommands(input.server.name);
    problems.push(
      `${input.server.name} is not proven a clone (${input.proof.level}); the warden changes only proven clones: if it is a restored copy, run ${confirm} first`,
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    decision: {
      kind: 'promoted',
      by: input.operator,
      at: input.now.toISOString(),
      reason: cleanReason(input.reason),
      ...(input.server.createdAt ? { serverCreatedAt: input.server.createdAt } : {}),
    },
  };
}

/** True when the latest decision of the same kind already says the same (a repeated command changes nothing). */
export function sameDecision(a: OperatorDecision | undefined, b: OperatorDecision): boolean {
  if (!a || a.kind !== b.kind) return false;
  const src = (d: OperatorDecision) => (d.sourceServerId ? serverKey(d.sourceServerId) : '');
  return src(a) === src(b) && (a.restorePointUtc ?? '') === (b.restorePointUtc ?? '');
}

function reasonProblems(reason: string): string[] {
  const text = cleanReason(reason);
  if (text === '') return ['--reason: say why (what was checked, by whom); it is kept in the evidence log'];
  if (text.length > DECISION_REASON_MAX_CHARS)
    return [`--reason: at most ${DECISION_REASON_MAX_CHARS} characters; got ${text.length}`];
  return [];
}

function cleanReason(reason: string): string {
  return reason.trim().replace(/\s+/g, ' ');
}
