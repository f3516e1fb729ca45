// Builds the function app bundle (dist/app) and the operator tools (dist/cli, dist/local, dist/bench).
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

// `import text from './file?raw'` (the dashboard's page, script, style and chart.js): the file's text, as Vite does.
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)),
      namespace: 'raw-text',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, (args) => ({
      contents: readFileSync(args.path, 'utf8'),
      loader: 'text',
      watchFiles: [args.path],
    }));
  },
};
const common = {
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [rawText],
};
// ESM output still meets CommonJS packages that call require(); give them one.
const requireShim =
  "import { createRequire as __wardenCreateRequire } from 'node:module'; const require = __wardenCreateRequire(import.meta.url);";

rmSync('dist', { recursive: true, force: true });

// The app: everything bundled but the worker-provided core API; chunks split so each function loads its job on first use.
const app = await build({
  ...common,
  entryPoints: { main: 'functions/index.ts' },
  outdir: 'dist/app',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@azure/functions-core'],
  banner: { js: requireShim },
  metafile: true,
});
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
