import { Command, Option } from 'commander';
import { ENGINE_SPECS } from '../../domain/engines.js';
import { readFile } from 'node:fs/promises';
import { SETTINGS } from '../../config.js';
import { buildPlan, describe, describeExposure, type Plan, type ServerPlan } from '../../domain/plan.js';
import { DEFAULT_POLICY, parsePolicyText, PolicyError, type Policy } from '../../domain/policy.js';
import { parseSnapshotText, SnapshotError } from '../../domain/snapshot.js';
import { outputOption, processIo, type Io, type OutputFormat } from '../output.js';

export interface PlanCommandOptions {
  readonly io?: Io;
  /** Sets the exit status (default `process.exitCode`); library code never calls process.exit. */
  readonly setExitCode?: (code: number) => void;
  /** Where POLICY_PATH, FALLBACK_MAILBOX and ALLOWED_RECIPIENT_DOMAINS defaults come from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The time when --now is not given (default the system clock). */
  readonly now?: () => Date;
}

/** The mail settings of an offline plan: flags, else the environment, else the catalogue's local values. */
export function mailDefaults(env: Readonly<Record<string, string | undefined>>): {
  fallbackMailbox: string;
  allowedDomains: string;
} {
  return {
    fallbackMailbox: env.FALLBACK_MAILBOX?.trim() || SETTINGS.FALLBACK_MAILBOX.local,
    allowedDomains: env.ALLOWED_RECIPIENT_DOMAINS?.trim() || SETTINGS.ALLOWED_RECIPIENT_DOMAINS.local,
  };
}

/** Reads a policy file, or the built-in policy when no path is given. */
export async function readPolicy(path: string | undefined): Promise<Policy> {
  if (!path) return DEFAULT_POLICY;
  return parsePolicyText(await readFile(path, 'utf8'), `policy ${path}`);
}

/**
 * `pitr-warden plan --snapshot <file> [--policy <file>] [--now <ISO>] [--output json|table]`: what the warden would
 * do to every server of a snapshot, computed offline (never calls Azure).
 * @example program.addCommand(planCommand());
 */
export function planCommand(options: PlanCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  const setExitCode = options.setExitCode ?? ((code: number) => void (process.exitCode = code));
  const env = options.env ?? process.env;
  const defaults = mailDefaults(env);
  return new Command('plan')
    .description('Show what the warden would do to each server of a snapshot (offline: never calls Azure)')
    .requiredOption(
      '--snapshot <file>',
      'snapshot JSON (the emulator seed format, optional "inventory" and "noticesSent")',
    )
    .option(
      '--policy <file>',
      'policy JSON (default: POLICY_PATH, else the built-in policy)',
      env.POLICY_PATH?.trim() || undefined,
    )
    .option('--now <iso>', 'the time to plan at, ISO 8601 (default: now)')
    .addOption(outputOption('json'))
    .addOption(
      new Option('--fallback-mailbox <address>', 'mailbox for clones without a mailable owner').default(
        defaults.fallbackMailbox,
      ),
    )
    .addOption(
      new Option('--allowed-domains <list>', 'comma-separated mail domains owners may be mailed at').default(
        defaults.allowedDomains,
      ),
    )
    .action(
      async (opts: {
        snapshot: string;
        policy?: string;
        now?: string;
        output: OutputFormat;
        fallbackMailbox: string;
        allowedDomains: string;
      }) => {
        try {
          const now = opts.now === undefined ? (options.now ?? (() => new Date()))() : parseNow(opts.now);
          const policy = await readPolicy(opts.policy);
          const snapshot = parseSnapshotText(await readFile(opts.snapshot, 'utf8'), `snapshot ${opts.snapshot}`);
          const plan = buildPlan({
            now,
            policy,
            servers: snapshot.servers,
            inventory: snapshot.inventory,
            noticesSent: snapshot.noticesSent,
            restoreEvidence: snapshot.restoreEvidence,
            settings: {
              fallbackMailbox: opts.fallbackMailbox,
              allowedRecipientDomains: opts.allowedDomains
                .split(/[,;\s]+/)
                .map((d) => d.trim().toLowerCase())
                .filter(Boolean),
            },
          });
          io.out(opts.output === 'json' ? JSON.stringify(plan, null, 2) : renderPlanTable(plan));
        } catch (error) {
          if (error instanceof PolicyError || error instanceof SnapshotError || error instanceof UsageError) {
            io.err(`pitr-warden plan: ${error.message}`);
            setExitCode(2);
            return;
          }
          if (isFileError(error)) {
            io.err(`pitr-warden plan: cannot read ${error.path ?? 'file'}: ${error.message}`);
            setExitCode(2);
            return;
          }
          throw error;
        }
      },
    );
}

class UsageError extends Error {}

function parseNow(text: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text.trim()) || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`--now: "${text}" is not an ISO 8601 time such as 2026-12-01T09:00:00Z`);
  }
  return new Date(Date.parse(text));
}

function isFileError(error: unknown): error is Error & { code: string; path?: string } {
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/**
 * The plan for a person: a summary line, then one block per server (name, classification, owner, expiry,
 * violations, actions).
 */
export function renderPlanTable(plan: Plan): string {
  const count = (c: string) => plan.servers.filter((s) => s.classification === c).length;
  const proof = (level: string) => plan.servers.filter((s) => s.proof.level === level).length;
  const acting = plan.servers.flatMap((s) => s.actions).filter((a) => a.type !== 'skip').length;
  const review = plan.servers.filter((s) => s.actions.some((a) => a.type === 'skip' && a.reason === 'unproven')).length;
  const lines = [
    `Plan at ${plan.now}: ${plan.servers.length} server(s): ${count('clone')} clone(s), ${count('probable-clone')} probable clone(s), ${count('not-a-clone')} not a clone; ` +
      `proof: ${proof('proven')} proven, ${proof('claimed')} claimed, ${proof('suspected')} suspected; ${acting} action(s); ${review} for review (only proven clones are changed)`,
  ];
  for (const server of plan.servers) lines.push('', ...serverBlock(server));
  return lines.join('\n');
}

function serverBlock(s: ServerPlan): string[] {
  const field = (label: string, values: readonly string[]) =>
    values.map((v, i) => `  ${(i === 0 ? label : '').padEnd(12)}${v}`);
  const lines = [`${s.name}  [${s.classification}]${s.held ? '  HELD' : ''}`];
  lines.push(...field('server', [`${ENGINE_SPECS[s.engine].label}, ${s.subscriptionId} / ${s.resourceGroup}`]));
  lines.push(...field('proof', [proofLine(s)]));
  if (s.lineage.sourceServerId)
    lines.push(
      ...field('source', [
        `${s.lineage.sourceServerId}${s.lineage.restorePointUtc ? ` at ${s.lineage.restorePointUtc}` : ''}`,
      ]),
    );
  if (s.owner) lines.push(...field('owner', [`${s.owner} (${s.ownerSource ?? 'unknown'})`]));
  lines.push(...field('expires', [s.expiresOn ?? (s.expiresOnTag ? `unparseable: "${s.expiresOnTag}"` : 'none')]));
  if (s.classification !== 'not-a-clone' || s.proof.evidence.some((l) => l.startsWith('operator:')))
    lines.push(...field('evidence', s.classificationEvidence));
  if (s.exposure) {
    const e = describeExposure(s.exposure);
    lines.push(...field('exposure', [e.summary, ...e.rules, e.why]));
  }
  lines.push(
    ...field('violations', s.violations.length === 0 ? ['none'] : s.violations.map((v) => `${v.rule}: ${v.detail}`)),
  );
  lines.push(
    ...field(
      'actions',
      s.actions.map((a) => (a.type === 'skip' ? describe(a) : `${a.type}: ${describe(a)} -- ${a.reason}`)),
    ),
  );
  return lines;
}

const BASIS: Record<string, string> = {
  'activity-log': "the Activity Log's record of the restore",
  'governed-restore': 'a governed restore (pitr-warden restore)',
  operator: "an operator's confirmation",
};

/** One line on how well the warden knows what the server is. */
function proofLine(s: ServerPlan): string {
  switch (s.proof.level) {
    case 'proven':
      return `proven by ${BASIS[s.proof.basis ?? ''] ?? s.proof.basis ?? 'evidence'}${s.promoted ? '; promoted: out of the clone lifecycle' : ''}`;
    case 'claimed':
      return `claimed (lineage tags only): reported, never changed${s.proof.contradictions.length > 0 ? `; contradicts itself: ${s.proof.contradictions.join('; ')}` : ''}`;
    case 'suspected':
      return 'suspected (looks like an earlier server): reported, never changed';
    case 'none':
      return s.proof.evidence.some((l) => l.startsWith('operator:'))
        ? 'dismissed by an operator: not a clone'
        : 'none: not a clone';
  }
}
