import type { Command } from 'commander';
import type { OperatorCommandOptions } from '../../src/cli/commands/restore.js';
import type { Wired } from '../../src/wiring.js';

export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | undefined;
}

/**
 * An operator command run in-process as a terminal runs it, on these wired adapters: its output and exit status
 * captured, commander's exits turned into results.
 * @example const run = operatorRunner(() => ({ ...wired, clock })); const { stdout, exitCode } = await run(extendCommand, ['pg-fix', '--until', '2026-12-20']);
 */
export function operatorRunner(
  wired: () => Wired,
): (make: (o: OperatorCommandOptions) => Command, args: string[]) => Promise<CliRun> {
  return async (make, args) => {
    const out: string[] = [];
    const err: string[] = [];
    let exitCode: number | undefined;
    const command = make({
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
      setExitCode: (code) => (exitCode = code),
      env: {},
      deps: () => Promise.resolve(wired()),
    });
    command.exitOverride().configureOutput({ writeOut: (t) => out.push(t), writeErr: (t) => err.push(t) });
    await command.parseAsync(args, { from: 'user' });
    return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode };
  };
}
