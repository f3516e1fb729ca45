import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryServers } from '../../src/adapters/memory/servers.js';
import { modify, UnprovenError, type GateAction } from '../../src/jobs/gate.js';
import { domainServer } from './sweepSeed.js';

const ACTIONS: GateAction[] = [
  { type: 'tag', set: { Owner: 'a@contoso.com' }, reason: 'test' },
  { type: 'remove-tags', tags: { ExpiresOn: '2026-12-01' }, reason: 'test' },
  {
    type: 'delete-firewall-rule',
    rule: 'AllowAll',
    startIpAddress: '0.0.0.0',
    endIpAddress: '255.255.255.255',
    reason: 'test',
  },
  {
    type: 'allow-firewall-rule',
    rule: 'pitr-warden-drill-1',
    startIpAddress: '20.50.1.8',
    endIpAddress: '20.50.1.9',
    reason: 'test',
  },
  { type: 'disable-public-access', reason: 'test' },
  { type: 'stop-server', reason: 'test' },
  {
    type: 'delete-server',
    reason: 'test',
    expiresOn: '2026-12-01T00:00:00Z',
    finalNoticeSentAt: '2026-12-01T09:00:00Z',
  },
];

describe('the gate: the one door to every change in Azure', () => {
  it.each(ACTIONS.map((a) => [a.type, a] as const))(
    'refuses %s on a claimed, suspected, dismissed or unknown server without calling Azure',
    async (_type, action) => {
      const server = domainServer({ name: 'pg-twin', tags: { ExpiresOn: '2026-12-01' } });
      const servers = new MemoryServers([server], { locks: {} });
      for (const proof of [
        { level: 'claimed' as const },
        { level: 'suspected' as const },
        { level: 'none' as const },
        undefined,
      ]) {
        await expect(modify(servers, { server, proof }, action)).rejects.toBeInstanceOf(UnprovenError);
      }
      expect(servers.calls.filter((c) => c.op !== 'list' && c.op !== 'get')).toEqual([]);
      await expect(modify(servers, { server, proof: { level: 'claimed' } }, action)).rejects.toThrow(
        /pitr-warden confirm pg-twin --clone --reason/,
      );
    },
  );

  it('lets a proven clone through', async () => {
    const server = domainServer({ name: 'pg-restore', tags: { ExpiresOn: '2026-12-01' } });
    const servers = new MemoryServers([server], { locks: {} });
    await modify(
      servers,
      { server, proof: { level: 'proven' } },
      { type: 'tag', set: { Owner: 'a@contoso.com' }, reason: 'test' },
    );
    expect(servers.peek(server.key)?.tags.Owner).toBe('a@contoso.com');
  });

  it('is the only code in src/jobs that calls a modifying method of the servers port', () => {
    const dir = new URL('../../src/jobs/', import.meta.url);
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'gate.ts')
      .flatMap((f) =>
        readFileSync(new URL(f, dir), 'utf8')
          .split('\n')
          .map((line, i) => ({ where: `src/jobs/${f}:${i + 1}`, line }))
          .filter(({ line }) =>
            /servers\.(mergeTags|deleteTags|deleteFirewallRule|upsertFirewallRule|disablePublicAccess|stop|delete)\(/.test(
              line,
            ),
          ),
      )
      .map((o) => o.where);
    expect(offenders).toEqual([]);
  });
});
