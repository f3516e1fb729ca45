#!/usr/bin/env node
// The operator CLI. `npm install` builds dist/ (the prepare script); run `npm run build` after changing sources.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(entry)) {
  console.error('pitr-warden: dist/cli/main.js is missing; run `npm run build` first.');
  process.exit(1);
}
const { main } = await import(entry);
await main(process.argv);
