import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runningLocalStack } from '../../src/local/stackFile.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-context-'));
const settingsFile = (values: Record<string, string>): string => {
  const file = join(dir, `settings-${Object.values(values).join('-').replace(/\W/g, '')}.json`);
  writeFileSync(file, JSON.stringify({ GOVERNED_SUBSCRIPTION_IDS: '00000000-0000-4000-8000-000000000001', ...values }));
  return file;
};

describe('--local: the settings of the running `npm start` stack', () => {
  it('fails at once, saying the stack is gone, when the process that wrote the settings died (a crash leaves the file)', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const file = settingsFile({
      PITR_WARDEN_LOCAL_PID: String(dead),
      PITR_WARDEN_LOCAL_STARTED_AT: '2026-12-05T07:00:00.000Z',
    });
    expect(() => runningLocalStack(file)).toThrow(
      `pid ${dead}, started 2026-12-05T07:00:00.000Z) is no longer running: it crashed or was killed. Start it again with \`npm start\``,
    );
  });

  it('reads the settings while that process lives', () => {
    const file = settingsFile({ PITR_WARDEN_LOCAL_PID: String(process.pid) });
    expect(runningLocalStack(file)).toMatchObject({ PITR_WARDEN_LOCAL_PID: String(process.pid) });
  });

  it('says how to start the stack when there is no settings file', () => {
    expect(() => runningLocalStack(join(dir, 'none.json'))).toThrow(
      /none\.json is missing; start the local stack with `npm start` first/,
    );
  });
});
