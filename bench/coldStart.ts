import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Time to import the function app: the esbuild bundle (dist/app/main.js) against the unbundled tsc build (build/)
 * against bare `node -e 0`. Each is a fresh node process; medians of several runs.
 */
export function run(args: string[]): Promise<void> {
  const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
  if (!existsSync('build/functions/index.js')) {
    const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      stdio: 'inherit',
    });
    if (tsc.status !== 0) throw new Error('tsc build of the unbundled app failed');
  }
  const importTimer = (file: string) =>
    `const t=process.hrtime.bigint();await import(${JSON.stringify(resolve(file))});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const cases = {
    'node -e 0': { script: '0', inProcess: false },
    'bundle (dist/app/main.js)': { script: importTimer('dist/app/main.js'), inProcess: true },
    'unbundled (build/functions/index.js)': { script: importTimer('build/functions/index.js'), inProcess: true },
  };
  const results: Record<string, { wallMs: number; importMs?: number }> = {};
  for (const [label, c] of Object.entries(cases)) {
    const walls: number[] = [];
    const imports: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', c.script], {
        encoding: 'utf8',
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      });
      walls.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (child.status !== 0) throw new Error(`${label} failed: ${child.stderr}`);
      if (c.inProcess) imports.push(Number(child.stdout.trim()));
    }
    results[label] = { wallMs: median(walls), ...(imports.length ? { importMs: median(imports) } : {}) };
  }
  const bare = results['node -e 0']!.wallMs;
  console.log(`cold start, median of ${runs} runs each (fresh node process per run)`);
  for (const [label, r] of Object.entries(results)) {
    console.log(
      `  ${label.padEnd(40)} wall ${r.wallMs.toFixed(1).padStart(7)} ms  (${(r.wallMs / bare).toFixed(2)}x node -e 0)` +
        (r.importMs !== undefined ? `  import ${r.importMs.toFixed(1)} ms` : ''),
    );
  }
  const bundle = results['bundle (dist/app/main.js)']!;
  const unbundled = results['unbundled (build/functions/index.js)']!;
  console.log(
    `  bundle vs unbundled: ${(unbundled.wallMs / bundle.wallMs).toFixed(2)}x faster; bundle/bare ratio ${(bundle.wallMs / bare).toFixed(2)} (target <= 2)`,
  );
  return Promise.resolve();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
