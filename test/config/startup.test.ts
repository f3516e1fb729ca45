import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { loadStartup } from '../../src/startup.js';

const sample = JSON.parse(readFileSync(new URL('../../local.settings.sample.json', import.meta.url), 'utf8')) as {
  Values: Record<string, string>;
};
const dir = mkdtempSync(join(tmpdir(), 'warden-startup-'));
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadStartup(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
};

describe('start-up check: the settings and the policy file they name', () => {
  it('loads the built-in policy when POLICY_PATH is empty, and the file when it names a valid one', () => {
    expect(loadStartup({ ...sample.Values, POLICY_PATH: '' }).policy).toBe(DEFAULT_POLICY);
    // The local sample names the demo policy: the built-in rules plus the demo estate's restore drill.
    const demo = loadStartup(sample.Values).policy;
    expect(demo.rules).toEqual(DEFAULT_POLICY.rules);
    expect(demo.drills.map((d) => [d.name, d.sources.ids])).toEqual([
      ['orders-nightly', [expect.stringMatching(/\/flexibleServers\/pg-orders-prod$/)]],
    ]);
    const { policy } = loadStartup({
      ...sample.Values,
      POLICY_PATH: new URL('../../examples/policy.json', import.meta.url).pathname,
    });
    expect(policy.rules.map((r) => r.type)).toContain('network-firewall');
  });

  it('a missing policy file is a problem naming POLICY_PATH and the file', () => {
    const missing = join(dir, 'nope.json');
    expect(problemsOf({ ...sample.Values, POLICY_PATH: missing })).toEqual([
      `POLICY_PATH: cannot read the policy file ${JSON.stringify(missing)}: no such file (unset POLICY_PATH for the built-in policy)`,
    ]);
  });

  it('an invalid policy lists every problem, each naming POLICY_PATH, together with every bad setting', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({ rules: [{ type: 'expiry', mode: 'enforce', defaultLifetimeDays: -1 }, { type: 'sweep' }] }),
    );
    const problems = problemsOf({ ...sample.Values, POLICY_PATH: broken, SWEEP_MODE: 'yolo' });
    expect(problems.some((p) => p.startsWith('SWEEP_MODE'))).toBe(true);
    const policyProblems = problems.filter((p) => p.startsWith(`POLICY_PATH: ${broken}: `));
    expect(policyProblems.length).toBeGreaterThanOrEqual(2);
    expect(policyProblems.join('\n')).toMatch(/defaultLifetimeDays/);
    expect(policyProblems.join('\n')).toMatch(/rules\[1\] \(sweep\)\.mode/);
  });

  it('a policy file that is not JSON is one problem naming POLICY_PATH', () => {
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{ "rules": [ ');
    expect(problemsOf({ ...sample.Values, POLICY_PATH: garbage })).toEqual([
      expect.stringMatching(new RegExp(`^POLICY_PATH: ${garbage}: not valid JSON`)),
    ]);
  });
});
