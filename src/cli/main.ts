import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { ConfigError } from '../config.js';
import { commands } from './commands/index.js';

/** The command tree; `exitOverride` makes every command throw CommanderError instead of exiting (for main and tests). */
export function program(options: { exitOverride?: boolean; output?: OutputConfiguration } = {}): Command {
  const root = new Command('pitr-warden')
    .description('Governs PostgreSQL flexible-server point-in-time-restore clones: classify, enforce, notify, expire.')
    .version(process.env.npm_package_version ?? '0.1.0', '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: true });
  for (const command of commands()) root.addCommand(command);
  const configure = (command: Command): void => {
    command.showHelpAfterError('(add --help for usage)');
    if (options.exitOverride) command.exitOverride();
    if (options.output) command.configureOutput(options.output);
    command.commands.forEach(configure);
  };
  configure(root);
  return root;
}

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
    process.stderr.write(`pitr-warden: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.PITR_WARDEN_DEBUG) console.error(error);
    process.exitCode = 1;
  }
}
