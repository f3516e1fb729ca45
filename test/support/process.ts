// What one test file must not leave to the next in a worker that keeps its modules (vitest.config.ts, isolate: false):
// app settings in process.env (a stack's settings, set for the app as the Functions host sets them), and an
// `@azure/functions` loaded without the local host's core (it would then register nothing for any later file).
import { afterAll } from 'vitest';
import { installFunctionsCore } from '../../src/local/functionsHost.js';

installFunctionsCore();

const environment = { ...process.env };
afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
});
