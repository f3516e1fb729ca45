import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { ConfigError } from '../config.js';
import { commands } from './commands/index.js';
import { errorMessage } from '../errorMessage.js';

/** The command tree; `exitOverride` makes every command throw CommanderError instead of exiting (for main and tests). */
export function program(options: { exitOverride?: boolean; output?: OutputConfiguration } = {}): Command {
  const root = new Command('pitr-warden')
    .description('Governs PostgreSQL flexible-server point-in-time-restore clones: classify, enforce, notify, expire.')
    .version(process.env.npm_package_version ?? '0.1.0', '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: true })
    .addHelpText('after', `\n${EXIT_STATUS_HELP}`);
  for (const command of commands()) root.addCommand(command);
  const configure = (command: Command): void => {
    command.showHelpAfterError('(add --help for usage)');
    // Commander exits 1 on a bad option or argument; here that is refused input: 2. Help and version stay 0.
    command.exitOverride((error) => {
      const mapped = error.exitCode === 0 ? error : new CommanderError(2, error.code, error.message);
      if (options.exitOverride) throw mapped;
      process.exit(mapped.exitCode);
    });
    if (options.output) command.configureOutput(options.output);
    command.commands.forEach(configure);
  };
  configure(root);
  return root;
}

/** The exit statuses every command keeps to; printed under `--help` and in the README. */
export const EXIT_STATUS_HELP = [
  'Exit status:',
  '  0  done (for status: healthy)',
  '  1  failure: a call failed, a job failed or is stale (status: unhealthy), the local stack is gone',
  '  2  refused input: a bad option, argument, file, setting or request; nothing was changed',
].join('\n');

/** Entry of the `pitr-warden` binary: known failures become one clear line and a non-zero exit. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program({ exitOverride: true }).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`pitr-warden: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`pitr-warden: ${errorMessage(error)}\n`);
    if (process.env.PITR_WARDEN_DEBUG) console.error(error);
    process.exitCode = 1;
  }
}
