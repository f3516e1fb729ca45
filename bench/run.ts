// `npm run bench -- <name>`: benchmarks that print numbers. Each lives in its own module, loaded on demand.
const benches: Record<string, () => Promise<{ run: (args: string[]) => Promise<void> }>> = {
  'cold-start': () => import('./coldStart.js'),
  reconcile: () => import('./reconcile.js'),
  enforce: () => import('./enforce.js'),
  sweep: () => import('./sweep.js'),
  dashboard: () => import('./dashboard.js'),
  drill: () => import('./drill.js'),
  'table-read': () => import('./tableRead.js'),
  'table-write': () => import('./tableWrite.js'),
  'table-batch': () => import('./tableBatch.js'),
};

const [name, ...args] = process.argv.slice(2);
if (name === '__sandbox') {
  // A benchmark's child process: Azurite and the emulator (bench/sandbox.ts).
  await (await import('./sandbox.js')).sandboxMain(args[0]!);
} else if (name === '__azurite') {
  // A benchmark's child process: Azurite alone (bench/tableWrite.ts).
  await (await import('./tableWrite.js')).azuriteMain();
} else if (name === '__worker') {
  // A benchmark's child process: the warden running one job (bench/worker.ts).
  await (await import('./worker.js')).workerMain(args[0]!);
} else {
  const load = name ? benches[name] : undefined;
  if (!load) {
    console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
    process.exitCode = 2;
  } else {
    await (await load()).run(args);
  }
}
