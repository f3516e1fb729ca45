import { app } from '@azure/functions';

/**
 * Before any function runs: the settings and the policy file (POLICY_PATH) must be valid. Throwing here fails the
 * worker's start, so the host runs nothing (and says why) instead of failing every job and poisoning every event.
 */
export async function checkStartup(): Promise<void> {
  const { loadStartup } = await import('../src/startup.js');
  loadStartup(process.env);
}

app.hook.appStart(checkStartup);
