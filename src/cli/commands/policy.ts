import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { PolicyError, validatePolicy, type Policy, type Rule } from '../../domain/policy.js';
import { outputOption, processIo, renderTable, type Io, type OutputFormat } from '../output.js';
import { readPolicy } from './plan.js';

export interface PolicyCommandOptions {
  readonly io?: Io;
  /** Sets the exit status (default `process.exitCode`); library code never calls process.exit. */
  readonly setExitCode?: (code: number) => void;
  /** Where the POLICY_PATH default of `show` comes from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `pitr-warden policy validate <file>` (exit 1 listing every problem) and
 * `pitr-warden policy show [--policy <file>] [--output json|table]` (the effective policy, defaults filled in).
 * @example program.addCommand(policyCommand());
 */
export function policyCommand(options: PolicyCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  const setExitCode = options.setExitCode ?? ((code: number) => void (process.exitCode = code));
  const env = options.env ?? process.env;
  const policy = new Command('policy').description('Check and show the policy the warden applies to clones');

  policy
    .command('validate')
    .description('Validate a policy file; lists every problem and exits 2 when there is one')
    .argument('<file>', 'policy JSON')
    .action(async (file: string) => {
      let document: unknown;
      try {
        document = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        io.err(
          `${file}: ${error instanceof SyntaxError ? 'not valid JSON: ' : 'cannot read: '}${(error as Error).message}`,
        );
        setExitCode(2);
        return;
      }
      const result = validatePolicy(document);
      if (!result.ok) {
        io.err(`${file}: ${result.problems.length} problem(s)\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
        setExitCode(2);
        return;
      }
      io.out(
        `${file}: valid; ${result.policy.rules.length} rule(s): ${result.policy.rules.map((r) => `${r.type} (${r.mode})`).join(', ')}`,
      );
    });

  policy
    .command('show')
    .description('Show the effective policy (the file with defaults filled in, or the built-in policy)')
    .option(
      '--policy <file>',
      'policy JSON (default: POLICY_PATH, else the built-in policy)',
      env.POLICY_PATH?.trim() || undefined,
    )
    .addOption(outputOption('table'))
    .action(async (opts: { policy?: string; output: OutputFormat }) => {
      try {
        const effective = await readPolicy(opts.policy);
        io.out(opts.output === 'json' ? JSON.stringify(effective, null, 2) : renderPolicyTable(effective, opts.policy));
      } catch (error) {
        if (error instanceof PolicyError) {
          io.err(error.message);
          setExitCode(2);
          return;
        }
        if (error instanceof Error && 'code' in error) {
          io.err(`cannot read ${opts.policy}: ${error.message}`);
          setExitCode(2);
          return;
        }
        throw error;
      }
    });
  return policy;
}

/** The effective policy for a person: tag keys, then one row per rule with its settings. */
export function renderPolicyTable(policy: Policy, source?: string): string {
  const keys = Object.entries(policy.tagKeys).map(([name, key]) => ({ name, key }));
  const rules = policy.rules.map((rule) => ({ rule: rule.type, mode: rule.mode, settings: ruleSettings(rule) }));
  const restore = Object.entries(policy.restore).map(([name, value]) => ({
    name,
    value: value.length === 0 ? '(any / from settings)' : value.join(', '),
  }));
  return [
    `Policy: ${source ?? 'built-in defaults'}`,
    '',
    'Tag keys (compared case-insensitively):',
    renderTable(keys, ['name', 'key']),
    '',
    'Rules:',
    renderTable(rules, ['rule', 'mode', 'settings']),
    '',
    'Restore (operator CLI):',
    renderTable(restore, ['name', 'value']),
  ].join('\n');
}

function ruleSettings(rule: Rule): string {
  const { type: _type, mode: _mode, ...settings } = rule;
  return Object.entries(settings)
    .map(
      ([name, value]) =>
        `${name}=${Array.isArray(value) ? `[${value.join(', ')}]` : typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join('; ');
}
