/** Operator decisions: confirm a clone, dismiss a look-alike, promote a clone that became a service. */
import { classify } from '../domain/classify.js';
import { planConfirm, planPromote, sameDecision } from '../domain/decisions.js';
import { parseServerId } from '../domain/ids.js';
import type { OperatorDecision, Server } from '../domain/model.js';
import { PreflightError } from '../domain/operator.js';
import { decisionsFor, promotionOf, rowOfIncarnation, verdictOf } from '../domain/proof.js';
import { findTagKey } from '../domain/tags.js';
import { modify } from './gate.js';
import { digest } from './govern.js';
import { locateServer, recordDecision, type OperatorDeps } from './operator.js';

/** What a decision command did. */
export interface DecisionOutcome {
  readonly serverId: string;
  readonly name: string;
  /** `recorded`, or `unchanged` when the same decision was already recorded (no write, no evidence). */
  readonly outcome: 'recorded' | 'unchanged';
  readonly decision: OperatorDecision;
  /** What happens next, in a sentence. */
  readonly effect: string;
  /** Tags the command removed (promote: ExpiresOn). */
  readonly removedTags?: Record<string, string>;
}

/**
 * `confirm <server> --clone|--not-a-clone`: records the operator's word on the server's row and in the evidence log
 * (who, when, why). It takes effect on the next event or reconcile; nothing in Azure is changed by the command.
 */
export async function confirmServer(
  input: { server: string; verdict: 'clone' | 'not-a-clone'; reason: string; source?: string; point?: string },
  deps: OperatorDeps,
): Promise<DecisionOutcome> {
  const located = await locateServer(input.server, deps);
  if (!located.server)
    throw new PreflightError([`<server>: ${located.problem ?? 'not found'}`], `confirmation of ${input.server}`);
  const live = located.server;
  const problems: string[] = [];
  let sourceId: string | undefined;
  let source: Server | undefined;
  if (input.source !== undefined) {
    const ref = parseServerId(input.source.trim());
    if (ref && !ref.child) {
      sourceId = ref.id;
      source = await deps.servers.get(ref.id);
    } else {
      const found = await locateServer(input.source, deps);
      if (found.server) [sourceId, source] = [found.server.id, found.server];
      else
        problems.push(
          `--source: ${found.problem ?? 'not found'} (a source that no longer exists can be given by its resource id)`,
        );
    }
  }
  const check = planConfirm({
    server: live,
    verdict: input.verdict,
    reason: input.reason,
    ...(sourceId ? { sourceId } : {}),
    ...(source ? { source } : {}),
    ...(input.point !== undefined ? { point: input.point } : {}),
    now: deps.clock.now(),
    operator: deps.operator,
  });
  if (!check.ok || problems.length > 0)
    throw new PreflightError([...problems, ...(check.ok ? [] : check.problems)], `confirmation of ${live.name}`);
  const { decision } = check;
  const effect =
    decision.kind === 'confirmed-clone'
      ? 'proven by your confirmation: the next event or reconcile governs it (tags, network policy, notices, expiry)'
      : 'dismissed: not a clone, for good; it stays off the review list and the warden never changes it';
  const row = rowOfIncarnation(located.row, live);
  if (sameDecision(verdictOf(decisionsFor(live, row?.decisions)), decision))
    return { serverId: live.id, name: live.name, outcome: 'unchanged', decision, effect };
  await recordDecision(live, decision, deps);
  const kind = decision.kind === 'confirmed-clone' ? 'confirmed' : 'dismissed';
  await deps.evidence.append([
    {
      serverKey: live.key,
      id: `${kind}:${digest(decision)}`,
      at: decision.at,
      actor: deps.operator,
      kind,
      summary:
        decision.kind === 'confirmed-clone'
          ? `${live.name} confirmed a clone by ${deps.operator}`
          : `${live.name} dismissed as not a clone by ${deps.operator}`,
      reason: decision.reason,
      before: { classification: row?.classification, proof: row?.proof?.level },
      after: decision,
    },
  ]);
  return { serverId: live.id, name: live.name, outcome: 'recorded', decision, effect };
}

/**
 * `promote <server> --reason`: the clone became a service. Its clone lifecycle ends for good: the ExpiresOn tag is
 * removed (through the gate: only a proven clone), the lineage tags stay as history, the row is marked promoted.
 */
export async function promoteServer(
  input: { server: string; reason: string },
  deps: OperatorDeps,
): Promise<DecisionOutcome> {
  const located = await locateServer(input.server, deps);
  if (!located.server)
    throw new PreflightError([`<server>: ${located.problem ?? 'not found'}`], `promotion of ${input.server}`);
  const live = located.server;
  const row = rowOfIncarnation(located.row, live);
  const classified = classify(live, {
    servers: [live],
    ...(row ? { inventory: row } : {}),
    tagKeys: deps.policy.tagKeys,
  });
  const check = planPromote({
    server: live,
    proof: classified.proof,
    reason: input.reason,
    now: deps.clock.now(),
    operator: deps.operator,
  });
  if (!check.ok) throw new PreflightError(check.problems, `promotion of ${live.name}`);
  const { decision } = check;
  const effect =
    'promoted: out of the clone lifecycle for good (no expiry, reminders, deletion or clone network policy); lineage tags kept as history';
  const key = findTagKey(live.tags, deps.policy.tagKeys.expiresOn);
  const removedTags = key !== undefined ? { [key]: live.tags[key]! } : undefined;
  if (promotionOf(decisionsFor(live, row?.decisions)) && !removedTags)
    return { serverId: live.id, name: live.name, outcome: 'unchanged', decision, effect };
  if (removedTags)
    await modify(
      deps.servers,
      { server: live, proof: classified.proof },
      { type: 'remove-tags', tags: removedTags, reason: `promoted: ${decision.reason}` },
    );
  if (!promotionOf(decisionsFor(live, row?.decisions))) {
    await recordDecision(live, decision, deps, (r) => {
      const { expiresOn: _e, expiresOnTag: _t, ...rest } = r;
      return { ...rest, state: 'promoted' };
    });
  }
  await deps.evidence.append([
    {
      serverKey: live.key,
      id: `promoted:${digest(decision)}`,
      at: decision.at,
      actor: deps.operator,
      kind: 'promoted',
      summary: `${live.name} promoted by ${deps.operator}: no longer a clone under the lifecycle`,
      reason: decision.reason,
      before: { state: row?.state, ...(removedTags ?? {}) },
      after: {
        state: 'promoted',
        ...(removedTags ? Object.fromEntries(Object.keys(removedTags).map((k) => [k, null])) : {}),
      },
      details: { decision, proof: classified.proof },
    },
  ]);
  return {
    serverId: live.id,
    name: live.name,
    outcome: 'recorded',
    decision,
    effect,
    ...(removedTags ? { removedTags } : {}),
  };
}
