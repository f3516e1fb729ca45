import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, SETTINGS, loadConfig, perSettings } from '../../src/config.js';

const sample = JSON.parse(readFileSync(new URL('../../local.settings.sample.json', import.meta.url), 'utf8')) as {
  Values: Record<string, string>;
};

describe('settings', () => {
  it('local.settings.sample.json lists every setting with its safe local value, and nothing else', () => {
    expect(Object.keys(sample.Values).sort()).toEqual(Object.keys(SETTINGS).sort());
    for (const [name, setting] of Object.entries(SETTINGS)) expect(sample.Values[name], name).toBe(setting.local);
  });

  it('the sample values load as a valid configuration', () => {
    const config = loadConfig(sample.Values);
    expect(config.subscriptionIds).toEqual([
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000002',
    ]);
    expect(config.sweep).toEqual({
      mode: 'dry-run',
      maxDeletionsPerRun: 10,
      maxDeletionPercent: 20,
      maxDisagreementPercent: 25,
      concurrencyPerSubscription: 8,
    });
    // The sweep's deletions in flight per subscription are ARM's requests in flight there.
    expect(
      loadConfig({ ...sample.Values, ARM_CONCURRENCY_PER_SUBSCRIPTION: '3' }).sweep.concurrencyPerSubscription,
    ).toBe(3);
    expect(config.mail.limitPerMinute).toBe(30);
    expect(Object.isFrozen(config) && Object.isFrozen(config.mail) && Object.isFrozen(config.subscriptionIds)).toBe(
      true,
    );
  });

  it('reports every bad setting in one message', () => {
    const bad = {
      ...sample.Values,
      AzureWebJobsStorage: '',
      GOVERNED_SUBSCRIPTION_IDS: 'not-a-guid,00000000-0000-4000-8000-000000000001',
      SWEEP_MODE: 'yolo',
      MAIL_LIMIT_PER_MINUTE: '-3',
      RECONCILE_SCHEDULE: '*/5 * * * *',
      FALLBACK_MAILBOX: '',
    };
    let error: unknown;
    try {
      loadConfig(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of [
      'AzureWebJobsStorage',
      'GOVERNED_SUBSCRIPTION_IDS',
      'SWEEP_MODE',
      'MAIL_LIMIT_PER_MINUTE',
      'RECONCILE_SCHEDULE',
      'FALLBACK_MAILBOX',
    ])
      expect(message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(6);
    expect(message).toContain('"not-a-guid,00000000-0000-4000-8000-000000000001"');
  });

  it('accepts identity-based storage instead of a connection string, and defaults the sweep to dry-run', () => {
    const config = loadConfig({
      AzureWebJobsStorage__accountName: 'wardenstore',
      GOVERNED_SUBSCRIPTION_IDS: '11111111-1111-4111-8111-111111111111',
      FALLBACK_MAILBOX: 'dba@contoso.com',
    });
    expect(config.storage).toEqual({ connectionString: undefined, accountName: 'wardenstore' });
    expect(config.sweep.mode).toBe('dry-run');
    expect(config.arm.endpoint).toBe('https://management.azure.com');
    expect(config.arm.credential).toBe('default');
  });

  it('sends the review digest to REVIEW_MAILBOX, else to FALLBACK_MAILBOX, and refuses a REVIEW_MAILBOX that is no address', () => {
    const base = {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GOVERNED_SUBSCRIPTION_IDS: '11111111-1111-4111-8111-111111111111',
      FALLBACK_MAILBOX: 'dba@contoso.com',
    };
    expect(loadConfig(base).mail.reviewMailbox).toBe('dba@contoso.com');
    expect(loadConfig({ ...base, REVIEW_MAILBOX: ' ' }).mail.reviewMailbox).toBe('dba@contoso.com');
    expect(loadConfig({ ...base, REVIEW_MAILBOX: 'platform-review@contoso.com' }).mail.reviewMailbox).toBe(
      'platform-review@contoso.com',
    );
    expect(() => loadConfig({ ...base, REVIEW_MAILBOX: 'review team' })).toThrow(
      /REVIEW_MAILBOX: .*\(got "review team"\)/,
    );
  });

  it('reads DRILL_CLIENT_ADDRESSES as merged rule ranges and names each bad entry with the setting', () => {
    const base = {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GOVERNED_SUBSCRIPTION_IDS: '11111111-1111-4111-8111-111111111111',
      FALLBACK_MAILBOX: 'dba@contoso.com',
    };
    expect(loadConfig(base).drills.clientAddresses).toEqual([]);
    // The site's possibleOutboundIpAddresses: neighbours merge into one rule, a CIDR block and a range stay as given.
    expect(
      loadConfig({ ...base, DRILL_CLIENT_ADDRESSES: '20.50.1.9,20.50.1.8, 52.0.0.0/31,40.1.1.1-40.1.1.3' }).drills
        .clientAddresses,
    ).toEqual([
      { start: '20.50.1.8', end: '20.50.1.9' },
      { start: '40.1.1.1', end: '40.1.1.3' },
      { start: '52.0.0.0', end: '52.0.0.1' },
    ]);
    let error: unknown;
    try {
      loadConfig({ ...base, DRILL_CLIENT_ADDRESSES: '20.50.1.9,20.50.1.300,0.0.0.0,10.0.0.0/8,2001:db8::1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const got = '(got "20.50.1.9,20.50.1.300,0.0.0.0,10.0.0.0/8,2001:db8::1")';
    expect((error as ConfigError).problems).toEqual([
      `DRILL_CLIENT_ADDRESSES: "20.50.1.300" is not an IPv4 address, range (a.b.c.d-e.f.g.h) or CIDR block ${got}`,
      `DRILL_CLIENT_ADDRESSES: "0.0.0.0" includes 0.0.0.0, the "allow every Azure service" address: name the app's own outbound addresses ${got}`,
      `DRILL_CLIENT_ADDRESSES: "10.0.0.0/8" spans 16777216 addresses; at most 256 per entry (the app's outbound addresses, not a network) ${got}`,
      `DRILL_CLIENT_ADDRESSES: "2001:db8::1" is not an IPv4 address, range (a.b.c.d-e.f.g.h) or CIDR block ${got}`,
    ]);
  });

  it('builds a process-wide value once per settings: again when an app setting in the environment changes, not otherwise', () => {
    const saved = process.env.TABLE_PREFIX;
    let builds = 0;
    const value = perSettings(() => ({ build: ++builds, prefix: process.env.TABLE_PREFIX }));
    try {
      process.env.TABLE_PREFIX = 'first';
      const first = value();
      expect(value()).toBe(first);
      process.env.UNRELATED_TO_THE_APP = 'x';
      expect(value()).toBe(first);
      process.env.TABLE_PREFIX = 'second';
      expect(value()).toEqual({ build: 2, prefix: 'second' });
      value.forget();
      expect(value()).toEqual({ build: 3, prefix: 'second' });
    } finally {
      delete process.env.UNRELATED_TO_THE_APP;
      if (saved === undefined) delete process.env.TABLE_PREFIX;
      else process.env.TABLE_PREFIX = saved;
    }
  });
});
