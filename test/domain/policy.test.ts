import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  parsePolicy,
  parsePolicyText,
  PolicyError,
  ruleOf,
  validatePolicy,
} from '../../src/domain/policy.js';

describe('policy as data', () => {
  it('has built-in defaults', () => {
    expect(DEFAULT_POLICY.tagKeys).toEqual({
      owner: 'Owner',
      incident: 'Incident',
      purpose: 'Purpose',
      expiresOn: 'ExpiresOn',
      restoredFrom: 'RestoredFrom',
      restorePointUtc: 'RestorePointUtc',
      restoredBy: 'RestoredBy',
      legalHold: 'LegalHold',
    });
    expect(ruleOf(DEFAULT_POLICY, 'expiry')).toMatchObject({ defaultLifetimeDays: 7, maxLifetimeDays: 30 });
    expect(ruleOf(DEFAULT_POLICY, 'notices')).toMatchObject({ reminderLeadDays: [3, 1], graceDays: 2 });
    expect(ruleOf(DEFAULT_POLICY, 'network-subnet')).toBeUndefined();
    expect(DEFAULT_POLICY.rules.map((r) => r.type)).toEqual([
      'required-tags',
      'stamp-lineage',
      'expiry',
      'replace-inherited-ownership',
      'network-firewall',
      'notices',
      'sweep',
    ]);
  });

  it('fills each rule with its defaults and keeps the rule list as given', () => {
    const policy = parsePolicy({
      rules: [{ type: 'network-firewall', mode: 'dry-run', allowedRanges: ['10.0.0.0/8'] }],
    });
    expect(policy.rules).toEqual([
      {
        type: 'network-firewall',
        mode: 'dry-run',
        publicAccess: 'allow-listed',
        allowedRanges: ['10.0.0.0/8'],
        quarantine: false,
      },
    ]);
    expect(ruleOf(policy, 'sweep')).toBeUndefined();
    expect(policy.tagKeys.owner).toBe('Owner');
  });

  it('reads `audit`, the mode word of earlier policies, as `dry-run` (one word with SWEEP_MODE and sweep --dry-run)', () => {
    const policy = parsePolicy({
      rules: [
        { type: 'sweep', mode: 'audit' },
        { type: 'notices', mode: 'enforce' },
      ],
    });
    expect(policy.rules.map((r) => r.mode)).toEqual(['dry-run', 'enforce']);
  });

  it('names the rule and the field in every problem, all at once', () => {
    const result = validatePolicy({
      rules: [
        { type: 'required-tags', mode: 'enforce' },
        { type: 'expiry', mode: 'sometimes', defaultLifetimeDays: 40 },
        { type: 'network-firewall', mode: 'enforce', allowedRanges: ['10.0.0.0/33'], extra: true },
        { type: 'no-such-rule', mode: 'dry-run' },
        { type: 'expiry', mode: 'dry-run', defaultLifetimeDays: 40, maxLifetimeDays: 30 },
        { mode: 'dry-run' },
        { type: 'notices', mode: 'enforce', reminderLeadDays: [3, 3], graceDays: 0 },
      ],
      tagKeys: { owner: 'expireson', incident: 'a/b' },
      typo: 1,
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'rules[2] (network-firewall).allowedRanges[0]: "10.0.0.0/33" is not a CIDR range',
        'rules[2] (network-firewall): unknown field "extra"',
        'rules[1] (expiry).mode: "sometimes" is not one of "dry-run", "enforce"',
        expect.stringMatching(
          /^rules\[3\] \(no-such-rule\)\.type: unknown rule type "no-such-rule"; expected one of "required-tags"/,
        ),
        expect.stringMatching(/^rules\[5\]\.type: is required/),
        'rules[4] (expiry).maxLifetimeDays: must not be shorter than defaultLifetimeDays',
        'rules[4] (expiry).type: duplicate rule type for engine postgresql-flexible; already given at rules[1] (scope rules to engines with "engines")',
        'rules[6] (notices).graceDays: must be at least 1',
        'tagKeys.incident: must not contain < > % & \\ ? / (Azure limit)',
        'tagKeys.expiresOn: "ExpiresOn" is also tagKeys.owner; tag keys are compared case-insensitively',
        '(policy): unknown field "typo"',
      ]),
    );
  });

  it('throws a PolicyError listing the problems, JSON syntax included', () => {
    expect(() => parsePolicyText('{ "rules": [ }', 'policy p.json')).toThrow(PolicyError);
    try {
      parsePolicy({ rules: [{ type: 'sweep' }] }, 'policy p.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as PolicyError).problems).toEqual([
        'rules[0] (sweep).mode: is required; one of "dry-run", "enforce"',
      ]);
      expect((error as Error).message).toContain('Invalid policy p.json (1 problem)');
    }
  });

  it('accepts the example policy in the repo', () => {
    const policy = parsePolicyText(readFileSync(new URL('../../examples/policy.json', import.meta.url), 'utf8'));
    expect(ruleOf(policy, 'network-subnet')).toMatchObject({ mode: 'enforce', quarantine: true });
    expect(ruleOf(policy, 'replace-inherited-ownership')?.alsoReplace).toEqual({ Environment: 'restore-clone' });
    expect(policy.restore.allowedOwnerDomains).toEqual(['contoso.com']);
  });
});
