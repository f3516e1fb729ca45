import { loadConfig, type Config } from '../config.js';
import { runningLocalStack } from '../local/stackFile.js';
import { build, type Wired } from '../wiring.js';

/**
 * The settings a CLI command runs with: the environment (Azure: DefaultAzureCredential), or with `--local`
 * (or PITR_WARDEN_LOCAL=1) the running `npm start` stack: its Azurite and its Azure emulator.
 */
export function cliConfig(options: { local?: boolean } = {}): Config {
  const local = options.local ?? process.env.PITR_WARDEN_LOCAL === '1';
  if (!local) return loadConfig(process.env);
  return loadConfig({ ...runningLocalStack() });
}

export async function cliDeps(options: { local?: boolean } = {}): Promise<Wired> {
  // The app (or the deployment) creates the tables; the CLI only uses them.
  return build(cliConfig(options), { createTables: false });
}
