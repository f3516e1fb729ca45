// The esbuild options of the function app's bundle (dist/app), shared by scripts/build.mjs and the test that checks
// what each function loads (test/app/lazySdks.test.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// `import text from './file?raw'` (the dashboard's page, script, style and chart.js): the file's text, as Vite does.
export const rawText = {
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

export const common = {
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [rawText],
};

// ESM output still meets CommonJS packages that call require(); give them one.
export const requireShim =
  "import { createRequire as __wardenCreateRequire } from 'node:module'; const require = __wardenCreateRequire(import.meta.url);";

// The app: everything bundled but the worker-provided core API; chunks split so each function loads its job on first
// use, and each Azure SDK a job reaches through `import()` on the first call that needs it.
export const appBuildOptions = {
  ...common,
  entryPoints: { main: 'functions/index.ts' },
  outdir: 'dist/app',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@azure/functions-core'],
  banner: { js: requireShim },
  metafile: true,
};
