import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { policyCommand } from '../../src/cli/commands/policy.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/policy.json', import.meta.url));

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode = 0;
  const command = policyCommand({
    io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    setExitCode: (c) => (exitCode = c),
    env,
  });
  await command.exitOverride().parseAsync(args, { from: 'user' });
  return { out: out.join('\n'), err: err.join('\n'), exitCode };
}

describe('pitr-warden policy', () => {
  it('validate: a valid file says so and lists its rules', async () => {
    const { out, exitCode } = await run(['validate', EXAMPLE]);
    expect(exitCode).toBe(0);
    expect(out).toContain('valid; 8 rule(s): required-tags (enforce), stamp-lineage (enforce), expiry (enforce)');
  });

  it('validate: exits 2 (refused input) listing every problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
    const file = join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        rules: [
          { type: 'expiry', mode: 'enforce', defaultLifetimeDays: 0 },
          { type: 'network-firewall', mode: 'block', allowedRanges: ['10.0.0.0/33'] },
        ],
      }),
    );
    const { out, err, exitCode } = await run(['validate', file]);
    expect(exitCode).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('3 problem(s)');
    expect(err).toContain('rules[0] (expiry).defaultLifetimeDays: must be at least 1');
    expect(err).toContain('rules[1] (network-firewall).mode: "block" is not one of "dry-run", "enforce"');
    expect(err).toContain('rules[1] (network-firewall).allowedRanges[0]: "10.0.0.0/33" is not a CIDR range');
    writeFileSync(file, '{ "rules": ');
    expect(await run(['validate', file])).toMatchObject({
      exitCode: 2,
      err: expect.stringContaining('not valid JSON'),
    });
  });

  it('show: the built-in policy as JSON and as a table', async () => {
    const json = await run(['show', '--output', 'json']);
    expect(JSON.parse(json.out)).toEqual(JSON.parse(JSON.stringify(DEFAULT_POLICY)));
    const table = await run(['show']);
    expect(table.out).toContain('Policy: built-in defaults');
    expect(table.out).toMatch(/expiry\s+enforce\s+defaultLifetimeDays=7; maxLifetimeDays=30/);
    expect(table.out).toMatch(/notices\s+enforce\s+reminderLeadDays=\[3, 1\]; graceDays=2/);
    expect(table.out).toMatch(/legalHold\s+LegalHold/);
  });

  it('show: a file (or POLICY_PATH) with defaults filled in; a bad file exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ rules: [{ type: 'sweep', mode: 'dry-run' }] }));
    const shown = JSON.parse((await run(['show', '--output', 'json'], { POLICY_PATH: file })).out);
    expect(shown.rules).toEqual([{ type: 'sweep', mode: 'dry-run' }]);
    expect(shown.tagKeys.expiresOn).toBe('ExpiresOn');
    writeFileSync(file, JSON.stringify({ rules: [{ type: 'sweep' }] }));
    expect(await run(['show', '--policy', file])).toMatchObject({
      exitCode: 2,
      err: expect.stringContaining('rules[0] (sweep).mode: is required'),
    });
  });
});
