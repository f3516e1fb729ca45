/**
 * Trust before touch: what proves a server is a restored copy, what only claims or suggests it, and the one rule
 * every modifying decision goes through (`mayModify`). Engine-agnostic: it looks at restore records, lineage,
 * creation times and operator decisions, never at an engine's resource type.
 */
import { serverKey } from './ids.js';
import type {
  InventoryRecord,
  Lineage,
  OperatorDecision,
  Proof,
  ProofLevel,
  RestoreEvidence,
  Server,
} from './model.js';

export type { Proof, ProofLevel, ProofBasis, OperatorDecision } from './model.js';

/** Rank of proof levels: a recorded level is never lowered by a pass that sees less (the event is gone, the twin deleted). */
export const PROOF_RANK: Readonly<Record<ProofLevel, number>> = { none: 0, suspected: 1, claimed: 2, proven: 3 };

/** The one rule: only proven clones are modified (tags, firewall rules, public access, stop, deletion, ExpiresOn removal). */
export function mayModify(proof: Pick<Proof, 'level'> | undefined): boolean {
  return proof?.level === 'proven';
}

/** How long before its creation time a server's restore request may have been made (a request precedes creation). */
const REQUEST_BEFORE_CREATION_MS = 6 * 3_600_000;
/** How long after its creation time ARM may log the request (clock skew, the end record of a long operation). */
const REQUEST_AFTER_CREATION_MS = 3_600_000;
/** A governed restore without the new server's creation time covers a server created in this window after the request. */
const GOVERNED_RESTORE_WINDOW_MS = 24 * 3_600_000;

/**
 * Whether two creation times name the same server (incarnation). Unknown on either side counts as the same: only a
 * known, different creation time proves the name was reused.
 */
export function sameIncarnation(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return Number.isNaN(ta) || Number.isNaN(tb) ? a === b : ta === tb;
}

/** The inventory row when it describes this server (not a deleted one, not an earlier server of the same name). */
export function rowOfIncarnation(
  row: InventoryRecord | undefined,
  server: Pick<Server, 'createdAt'>,
): InventoryRecord | undefined {
  if (!row || row.state === 'deleted') return undefined;
  return sameIncarnation(row.createdAt, server.createdAt) ? row : undefined;
}

/** The decisions made on this incarnation of the server. */
export function decisionsFor(
  server: Pick<Server, 'createdAt'>,
  decisions: readonly OperatorDecision[] | undefined,
): OperatorDecision[] {
  return (decisions ?? []).filter((d) => decisionApplies(server, d));
}

function decisionApplies(server: Pick<Server, 'createdAt'>, d: OperatorDecision): boolean {
  if (d.serverCreatedAt !== undefined) return sameIncarnation(d.serverCreatedAt, server.createdAt);
  if (d.kind !== 'governed-restore') return true;
  // A governed restore recorded before ARM had the server: it covers a server created soon after the request.
  const created = server.createdAt ? Date.parse(server.createdAt) : NaN;
  const requested = Date.parse(d.at);
  if (Number.isNaN(created) || Number.isNaN(requested)) return true;
  return created >= requested - REQUEST_AFTER_CREATION_MS && created <= requested + GOVERNED_RESTORE_WINDOW_MS;
}

/** The operator's last word on clone or not (a later confirm corrects an earlier one). */
export function verdictOf(decisions: readonly OperatorDecision[]): OperatorDecision | undefined {
  return decisions
    .filter((d) => d.kind === 'confirmed-clone' || d.kind === 'dismissed')
    .sort(byAt)
    .at(-1);
}

export function promotionOf(decisions: readonly OperatorDecision[]): OperatorDecision | undefined {
  return decisions
    .filter((d) => d.kind === 'promoted')
    .sort(byAt)
    .at(-1);
}

function byAt(a: OperatorDecision, b: OperatorDecision): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : 0;
}

/**
 * Why a lineage claim contradicts itself (empty when it does not): the source is the server itself, the restore point
 * is after the server's creation or before the source existed, or the source was created after the clone.
 * @example lineageContradictions(server, { sourceServerId: server.id, restorePointUtc: '2026-11-20T08:00:00Z' }, undefined)
 *   // ['the claimed source is the server itself']
 */
export function lineageContradictions(server: Server, claim: Lineage, source: Server | undefined): string[] {
  const out: string[] = [];
  if (claim.sourceServerId && serverKey(claim.sourceServerId) === server.key)
    out.push('the claimed source is the server itself');
  const created = time(server.createdAt);
  const point = time(claim.restorePointUtc);
  if (claim.restorePointUtc !== undefined && point === undefined)
    out.push(`the claimed restore point "${claim.restorePointUtc}" is not a date-time`);
  if (point !== undefined && created !== undefined && point > created) {
    out.push(`the claimed restore point ${claim.restorePointUtc} is after the server's creation ${server.createdAt}`);
  }
  const sourceCreated = source && source.key !== server.key ? time(source.createdAt) : undefined;
  if (sourceCreated !== undefined && created !== undefined && sourceCreated > created) {
    out.push(
      `the claimed source ${source!.name} was created ${source!.createdAt}, after this server (${server.createdAt})`,
    );
  }
  if (sourceCreated !== undefined && point !== undefined && point < sourceCreated) {
    out.push(
      `the claimed restore point ${claim.restorePointUtc} is before the claimed source ${source!.name} existed (created ${source!.createdAt})`,
    );
  }
  return out;
}

/**
 * Why an Activity Log restore record does not prove this server (undefined when it does): it was made for an earlier
 * or later server of the same name (its time does not fit this server's creation), or names the server as its own source.
 */
export function restoreRecordProblem(server: Server, record: RestoreEvidence): string | undefined {
  if (
    record.sourceServerId &&
    serverKey(record.sourceServerId) === server.key &&
    (record.createMode ?? '').toLowerCase() !== 'revivedropped'
  ) {
    return `the restore record ${record.key} names the server itself as its source`;
  }
  const created = time(server.createdAt);
  const at = time(record.at);
  if (created === undefined || at === undefined) return undefined;
  if (at < created - REQUEST_BEFORE_CREATION_MS || at > created + REQUEST_AFTER_CREATION_MS) {
    return `the restore record ${record.key} of ${record.at} does not belong to this server (created ${server.createdAt}): another server of the same name`;
  }
  return undefined;
}

/**
 * The proof of a row as recorded, or for rows written before proof was recorded, what their evidence supports: a
 * clone whose evidence names its Activity Log restore record stays proven, one classified from its lineage tags only
 * becomes claimed, a probable clone suspected.
 */
export function proofOfRecord(row: InventoryRecord): Proof {
  if (row.proof) return row.proof;
  const evidence = [...row.classificationEvidence, `recorded ${row.classification} before the warden recorded proof`];
  if (row.classification === 'not-a-clone') return { level: 'none', evidence, contradictions: [] };
  if (row.classification === 'probable-clone') return { level: 'suspected', evidence, contradictions: [] };
  const fromActivityLog = row.classificationEvidence.some((line) => /^(inventory: )*activity log: /.test(line));
  return fromActivityLog
    ? { level: 'proven', basis: 'activity-log', evidence, contradictions: [], provenAt: row.firstSeenAt }
    : {
        level: 'claimed',
        evidence: [
          ...evidence,
          'lineage tags only: a claim until the Activity Log record, a governed restore or an operator confirms it',
        ],
        contradictions: [],
      };
}

/** The exact commands an operator runs to settle an unproven server. */
export function reviewCommands(name: string): { confirm: string; dismiss: string } {
  return {
    confirm: `pitr-warden confirm ${name} --clone --reason "..."`,
    dismiss: `pitr-warden confirm ${name} --not-a-clone --reason "..."`,
  };
}

/** The exact commands an owner runs to take a proven clone out of its countdown. */
export function waysOut(name: string, expiryTagKey = 'ExpiresOn'): { extend: string; promote: string; hold: string } {
  return {
    extend: `pitr-warden extend ${name} --until <YYYY-MM-DD>   (or set the tag ${expiryTagKey})`,
    promote: `pitr-warden promote ${name} --reason "..."`,
    hold: `pitr-warden hold ${name} --reason "..."`,
  };
}

function time(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
