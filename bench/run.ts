// `npm run bench -- <name>`: benchmarks that print numbers. Each lives in its own module, loaded on demand.
const benches: Record<string, () => Promise<{ run: (args: string[]) => Promise<void> }>> = {
  'cold-start': () => import('./coldStart.js'),
  reconcile: () => import('./reconcile.js'),
  enforce: () => import('./enforce.js'),
  sweep: () => import('./sweep.js'),
  dashboard: () => import('./dashboard.js'),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? benches[name] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exitCode = 2;
} else {
  await (await load()).run(args);
}
