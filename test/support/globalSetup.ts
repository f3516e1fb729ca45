// One Azurite per test worker, started once for the whole run in vitest's main process (loading Azurite's code is
// what made every e2e file slow). Files reach theirs through test/support/azurite.ts, which empties it first.
import type { TestProject } from 'vitest/node';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';

export interface SharedAzurite {
  readonly tableEndpoint: string;
  readonly queueEndpoint: string;
  readonly connectionString: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Index = VITEST_POOL_ID - 1. */
    azurites: SharedAzurite[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workers = Math.max(1, Number(project.config.maxWorkers) || 1);
  const handles: AzuriteHandle[] = await Promise.all(Array.from({ length: workers }, () => startAzurite()));
  project.provide(
    'azurites',
    handles.map(({ tableEndpoint, queueEndpoint, connectionString }) => ({
      tableEndpoint,
      queueEndpoint,
      connectionString,
    })),
  );
  return async () => {
    await Promise.all(handles.map((h) => h.close()));
  };
}
