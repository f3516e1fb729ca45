import { build, type Metafile } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { appBuildOptions } from '../../scripts/appBuild.mjs';

/**
 * What the deployed app's functions load, read from the app bundle itself (built in memory with the options of
 * `npm run build`): a job loads the Azure SDKs it needs on the first call that needs them (`import()` of their own
 * chunks), so a sweep or reconcile never evaluates the code of SQL Database, email, queues, Entra sign-in or
 * PostgreSQL's driver unless it meets them. Each of those costs 10 to 20 MB of the worker's memory.
 */
describe('the app bundle loads each Azure SDK on first use', () => {
  let outputs: Metafile['outputs'];
  const outdir = join(mkdtempSync(join(tmpdir(), 'warden-bundle-')), 'app');

  beforeAll(async () => {
    // Written to a scratch folder: the last test imports chunks of it, as the Functions host would.
    const result = await build({ ...appBuildOptions, outdir, sourcemap: false, logLevel: 'silent' });
    outputs = result.metafile.outputs;
  }, 120_000);

  /** The output chunk holding a source file. */
  const chunkOf = (input: string): string => {
    const chunk = Object.keys(outputs).find((o) => outputs[o]!.inputs[input] !== undefined);
    if (!chunk) throw new Error(`${input} is in no chunk of the bundle`);
    return chunk;
  };
  /** Chunks evaluated when these are imported: their static imports, transitively (not their `import()`s). */
  const staticClosure = (chunks: readonly string[]): Set<string> => {
    const seen = new Set<string>();
    const todo = [...chunks];
    while (todo.length > 0) {
      const chunk = todo.pop()!;
      if (seen.has(chunk)) continue;
      seen.add(chunk);
      for (const i of outputs[chunk]!.imports) if (i.kind === 'import-statement' && outputs[i.path]) todo.push(i.path);
    }
    return seen;
  };
  /** npm packages whose code is in these chunks. */
  const packagesIn = (chunks: Iterable<string>): Set<string> => {
    const packages = new Set<string>();
    for (const chunk of chunks)
      for (const input of Object.keys(outputs[chunk]!.inputs)) {
        const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
        if (match) packages.add(match[1]!);
      }
    return packages;
  };
  /** What a function's handler loads before its job makes any call: src/wiring.ts and the job's module. */
  const loadedBy = (job: string) => packagesIn(staticClosure([chunkOf('src/wiring.ts'), chunkOf(job)]));

  const ON_FIRST_USE = [
    '@azure/arm-sql',
    '@azure/arm-postgresql-flexible',
    '@azure/arm-mysql-flexible',
    '@azure/arm-locks',
    '@azure/arm-resources',
    '@azure/arm-monitor',
    '@azure/identity',
    '@azure/msal-node',
    '@azure/storage-queue',
    '@azure/communication-email',
    'pg',
  ];

  it('the sweep and reconcile load the tables and the core pipeline, and no ARM, Entra, email, queue or pg SDK yet', () => {
    for (const job of ['src/jobs/sweep.ts', 'src/jobs/reconcile.ts']) {
      const loaded = loadedBy(job);
      expect(loaded, job).toContain('@azure/data-tables');
      expect(loaded, job).toContain('@azure/core-rest-pipeline');
      expect(
        ON_FIRST_USE.filter((p) => loaded.has(p)),
        job,
      ).toEqual([]);
    }
  });

  it("an engine's first call loads that engine's SDK alone; locks, tags and the Activity Log load their own", () => {
    const sdkOf = (file: string) => packagesIn(staticClosure([chunkOf(file)]));
    const armSdks = (file: string) => [...sdkOf(file)].filter((p) => /^@azure\/arm-/.test(p)).sort();
    expect(armSdks('src/adapters/azure/arm/postgresApi.ts')).toEqual(['@azure/arm-postgresql-flexible']);
    expect(armSdks('src/adapters/azure/arm/mysqlApi.ts')).toEqual(['@azure/arm-mysql-flexible']);
    expect(armSdks('src/adapters/azure/arm/sqlApi.ts')).toEqual(['@azure/arm-sql']);
    for (const sdk of ['@azure/arm-locks', '@azure/arm-resources', '@azure/arm-monitor', '@azure/identity', 'pg']) {
      const chunks = Object.keys(outputs).filter((o) =>
        Object.keys(outputs[o]!.inputs).some((i) => i.includes(`node_modules/${sdk}/`)),
      );
      expect(chunks.length, sdk).toBeGreaterThan(0);
    }
  });

  it('a module loaded on first use hands its SDK class from the bundle, whatever the package format', async () => {
    // arm-locks and arm-monitor are CommonJS: an import() of the package itself would give the bundle's default only.
    const classes: Record<string, string> = {
      'src/adapters/azure/sdk/locks.ts': 'ManagementLockClient',
      'src/adapters/azure/sdk/monitor.ts': 'MonitorClient',
      'src/adapters/azure/sdk/resources.ts': 'ResourceManagementClient',
      'src/adapters/azure/sdk/identity.ts': 'DefaultAzureCredential',
      'src/adapters/azure/sdk/queues.ts': 'QueueServiceClient',
    };
    for (const [file, name] of Object.entries(classes)) {
      // The chunk's path in the metafile is relative to the working directory.
      const loaded = (await import(pathToFileURL(resolve(chunkOf(file))).href)) as Record<string, unknown>;
      expect(typeof loaded[name], `${name} from ${file}`).toBe('function');
    }
  });
});
