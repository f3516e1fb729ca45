// Builds the function app bundle (dist/app) and the operator tools (dist/cli, dist/local, dist/bench).
import { build } from 'esbuild';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { appBuildOptions, common, requireShim } from './appBuild.mjs';

rmSync('dist', { recursive: true, force: true });

// The app (scripts/appBuild.mjs): chunks split so each function loads its job, and its SDKs, on first use.
const app = await build(appBuildOptions);
// What went into the bundle, for the check that no test or sandbox code ships.
writeFileSync('dist/app-inputs.json', JSON.stringify(Object.keys(app.metafile.inputs).sort(), null, 1));

// Tools run from a clone with node_modules present: bundle our code only.
const tools = { cli: 'src/cli/main.ts', local: 'src/local/start.ts', bench: 'bench/run.ts' };
await build({
  ...common,
  entryPoints: Object.fromEntries(
    Object.entries(tools)
      .filter(([, file]) => existsSync(file))
      .map(([dir, file]) => [`${dir}/${dir === 'cli' ? 'main' : dir === 'local' ? 'start' : 'run'}`, file]),
  ),
  outdir: 'dist',
  bundle: true,
  splitting: true,
  chunkNames: 'shared/[name]-[hash]',
  packages: 'external',
  banner: { js: requireShim },
});
