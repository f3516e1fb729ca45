import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planCommand } from '../../src/cli/commands/plan.js';
import type { Plan } from '../../src/domain/plan.js';

const SNAPSHOT = fileURLToPath(new URL('../fixtures/snapshots/small-estate.json', import.meta.url));
const POLICY = fileURLToPath(new URL('../../examples/policy.json', import.meta.url));

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode = 0;
  const command = planCommand({
    io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    setExitCode: (c) => (exitCode = c),
    env,
    now: () => new Date('2026-12-01T09:00:00Z'),
  });
  await command.exitOverride().parseAsync(args, { from: 'user' });
  return { out: out.join('\n'), err: err.join('\n'), exitCode };
}

describe('pitr-warden plan', () => {
  it('prints the plan as JSON: { now, servers: [{ key, name, classification, expiresOn, violations, actions }] }', async () => {
    const { out, err, exitCode } = await run([
      '--snapshot',
      SNAPSHOT,
      '--policy',
      POLICY,
      '--now',
      '2026-12-01T09:00:00Z',
    ]);
    expect(exitCode).toBe(0);
    expect(err).toBe('');
    const plan = JSON.parse(out) as Plan;
    expect(plan.now).toBe('2026-12-01T09:00:00Z');
    const copy = plan.servers.find((s) => s.name === 'pg-prod-copy')!;
    // A look-alike is suspected, never proven: reported for review, never deleted.
    expect(copy).toMatchObject({
      key: expect.stringMatching(/flexibleservers\/pg-prod-copy$/),
      classification: 'probable-clone',
      proof: { level: 'suspected' },
      expiresOn: '2026-11-27T00:00:00Z',
    });
    expect(copy.actions.map((a) => a.type)).not.toContain('delete-server');
    for (const s of plan.servers)
      expect(Object.keys(s)).toEqual(
        expect.arrayContaining(['key', 'name', 'classification', 'expiresOn', 'violations', 'actions']),
      );
  });

  it('prints one readable block per server in table form', async () => {
    const { out, exitCode } = await run(['--snapshot', SNAPSHOT, '--policy', POLICY, '--output', 'table']);
    expect(exitCode).toBe(0);
    expect(out).toMatch(
      /^Plan at 2026-12-01T09:00:00Z: 11 server\(s\): 8 clone\(s\), 1 probable clone\(s\), 2 not a clone; proof: 7 proven, 1 claimed, 1 suspected; \d+ action\(s\); 1 for review/,
    );
    expect(out).toMatch(/pg-prod-copy {2}\[probable-clone\]\n {2}server .*\n {2}proof {7}suspected/);
    const block = out.split('\n\n').find((b) => b.startsWith('pg-prod-restore-1129'))!;
    expect(block).toContain('pg-prod-restore-1129  [clone]');
    expect(block).toMatch(/owner\s+alice@contoso.com \(claims\)/);
    expect(block).toMatch(/expires\s+2026-12-08T09:00:00Z/);
    expect(block).toContain('network-firewall: firewall rule "AllowAll" opens 0.0.0.0-255.255.255.255');
    expect(block).toContain('delete-firewall-rule: delete firewall rule "AllowAll" (0.0.0.0-255.255.255.255)');
    expect(out).toMatch(/pg-evidence-hold {2}\[clone\] {2}HELD[\s\S]*?skip: legal-hold/);
    expect(out).toMatch(/pg-bad-expiry[\s\S]*?expires\s+unparseable: "next week"/);
    console.log(out);
  });

  it('uses the mail settings from flags, else from the environment', async () => {
    const args = ['--snapshot', SNAPSHOT, '--policy', POLICY];
    const reminder = (plan: Plan) => plan.servers.find((s) => s.name === 'pg-reminder')!.actions[0];
    expect(reminder(JSON.parse((await run(args)).out))).toMatchObject({
      to: 'dba-team@contoso.com',
      toSource: 'fallback-domain-not-allowed',
    });
    expect(
      reminder(JSON.parse((await run([...args, '--allowed-domains', 'contoso.com,fabrikam.com'])).out)),
    ).toMatchObject({ to: 'frank@fabrikam.com', toSource: 'tag-at-restore' });
    expect(reminder(JSON.parse((await run(args, { FALLBACK_MAILBOX: 'ops@contoso.com' })).out))).toMatchObject({
      to: 'ops@contoso.com',
    });
  });

  it('reads POLICY_PATH when --policy is not given, the built-in policy otherwise', async () => {
    const builtIn = JSON.parse((await run(['--snapshot', SNAPSHOT])).out) as Plan;
    // The built-in policy has no subnet rule: the VNet clone is not stopped.
    expect(
      builtIn.servers.find((s) => s.name === 'pg-vnet-restore')!.actions.some((a) => a.type === 'stop-server'),
    ).toBe(false);
    const fromEnv = JSON.parse((await run(['--snapshot', SNAPSHOT], { POLICY_PATH: POLICY })).out) as Plan;
    expect(
      fromEnv.servers.find((s) => s.name === 'pg-vnet-restore')!.actions.some((a) => a.type === 'stop-server'),
    ).toBe(true);
  });

  it('exits 2 with a clear message for a bad snapshot, policy, --now or file, printing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-cli-'));
    const badSnapshot = join(dir, 'bad.json');
    writeFileSync(badSnapshot, JSON.stringify({ servers: [{ id: 'nope' }] }));
    const badPolicy = join(dir, 'policy.json');
    writeFileSync(
      badPolicy,
      JSON.stringify({ rules: [{ type: 'network-firewall', mode: 'enforce', allowedRanges: ['10.0.0.0/33'] }] }),
    );
    const cases: [string[], RegExp][] = [
      [
        ['--snapshot', badSnapshot],
        /servers\[0\]\.id: "nope" is not the id of a PostgreSQL flexible server, MySQL flexible server or SQL database/,
      ],
      [
        ['--snapshot', SNAPSHOT, '--policy', badPolicy],
        /rules\[0\] \(network-firewall\)\.allowedRanges\[0\]: "10.0.0.0\/33" is not a CIDR range/,
      ],
      [['--snapshot', SNAPSHOT, '--now', 'tomorrow'], /--now: "tomorrow" is not an ISO 8601 time/],
      [['--snapshot', join(dir, 'missing.json')], /cannot read .*missing.json/],
    ];
    for (const [args, message] of cases) {
      const { out, err, exitCode } = await run(args);
      expect(exitCode).toBe(2);
      expect(out).toBe('');
      expect(err).toMatch(message);
    }
  });
});
