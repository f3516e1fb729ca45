import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DEFAULT_POLICY, parsePolicyText, PolicyError, type Policy } from './domain/policy.js';

/**
 * What the app needs before it may run anything: the settings and the policy file they name, both valid. Every
 * problem of both is reported in one ConfigError; policy problems name POLICY_PATH and the file.
 * @example const { config, policy } = loadStartup(process.env);
 */
export function loadStartup(env: Record<string, string | undefined> = process.env): { config: Config; policy: Policy } {
  const problems: string[] = [];
  let config: Config | undefined;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const path = env.POLICY_PATH?.trim() || undefined;
  let policy: Policy | undefined;
  try {
    policy = loadPolicy(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !config || !policy) throw new ConfigError(problems);
  return { config, policy };
}

/**
 * The policy file named by POLICY_PATH, or the built-in defaults. A missing, unreadable or invalid file is a
 * ConfigError naming POLICY_PATH, the file and every problem: the warden never runs on a policy it cannot read.
 */
export function loadPolicy(path: string | undefined): Policy {
  if (!path) return DEFAULT_POLICY;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : code === 'EACCES'
            ? 'not readable (permission denied)'
            : (error as Error).message;
    throw new ConfigError([
      `POLICY_PATH: cannot read the policy file ${JSON.stringify(path)}: ${why} (unset POLICY_PATH for the built-in policy)`,
    ]);
  }
  try {
    return parsePolicyText(text, path);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    throw new ConfigError(error.problems.map((p) => `POLICY_PATH: ${path}: ${p}`));
  }
}
