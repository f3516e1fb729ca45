import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type Config } from '../config.js';
import { build, type Wired } from '../wiring.js';

/** Where `npm start` leaves the settings of the running local stack, for `--local`. */
export const LOCAL_SETTINGS_FILE = resolve('.local', 'settings.json');

/**
 * The settings a CLI command runs with: the environment (Azure: DefaultAzureCredential), or with `--local`
 * (or PITR_WARDEN_LOCAL=1) the running `npm start` stack: its Azurite and its Azure emulator.
 */
export function cliConfig(options: { local?: boolean } = {}): Config {
  const local = options.local ?? process.env.PITR_WARDEN_LOCAL === '1';
  if (!local) return loadConfig(process.env);
  if (!existsSync(LOCAL_SETTINGS_FILE)) {
    throw new Error(`--local: ${LOCAL_SETTINGS_FILE} is missing; start the local stack with \`npm start\` first`);
  }
  const settings = JSON.parse(readFileSync(LOCAL_SETTINGS_FILE, 'utf8')) as Record<string, string>;
  return loadConfig({ ...settings });
}

export async function cliDeps(options: { local?: boolean } = {}): Promise<Wired> {
  // The app (or the deployment) creates the tables; the CLI only uses them.
  return build(cliConfig(options), { createTables: false });
}
