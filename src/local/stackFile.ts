import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where `npm start` leaves the settings of the running local stack, for `--local` (PITR_WARDEN_LOCAL_SETTINGS moves it). */
export const LOCAL_SETTINGS_FILE = resolve(
  process.env.PITR_WARDEN_LOCAL_SETTINGS?.trim() || join('.local', 'settings.json'),
);

/** What `npm start` writes to .local/settings.json: the app settings plus who wrote them. */
export type LocalStackSettings = Record<string, string> & {
  readonly PITR_WARDEN_LOCAL_PID?: string;
  readonly PITR_WARDEN_LOCAL_STARTED_AT?: string;
  readonly PITR_WARDEN_LOCAL_HTTP_URL?: string;
};

/** The settings file of the local stack, or undefined when there is none (or it cannot be read). */
export function readLocalStack(file = LOCAL_SETTINGS_FILE): LocalStackSettings | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return value !== null && typeof value === 'object' ? (value as LocalStackSettings) : undefined;
  } catch {
    return undefined;
  }
}

/** Why the stack that wrote `settings` cannot be talked to (its process is gone), or undefined when it runs. */
export function localStackProblem(
  settings: LocalStackSettings,
  isAlive: (pid: number) => boolean = processAlive,
): string | undefined {
  const pid = Number(settings.PITR_WARDEN_LOCAL_PID);
  if (!Number.isInteger(pid) || pid <= 0) return undefined; // written by an older version: nothing to check
  if (isAlive(pid)) return undefined;
  return `the local stack that wrote ${LOCAL_SETTINGS_FILE} (pid ${pid}, started ${settings.PITR_WARDEN_LOCAL_STARTED_AT ?? 'earlier'}) is no longer running: it crashed or was killed. Start it again with \`npm start\``;
}

/** The settings of the running `npm start` stack; fails at once, saying why, when there is none or it died. */
export function runningLocalStack(file = LOCAL_SETTINGS_FILE): LocalStackSettings {
  const settings = readLocalStack(file);
  if (!settings) throw new Error(`--local: ${file} is missing; start the local stack with \`npm start\` first`);
  const problem = localStackProblem(settings);
  if (problem) throw new Error(`--local: ${problem}`);
  return settings;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
