import { describe, expect, it } from 'vitest';
import { noticesCommand } from '../../src/cli/commands/notices.js';
import type { NoticesDeps } from '../../src/jobs/notices.js';
import { cloneServer, memoryNoticesDeps } from '../jobs/notices.support.js';

/** Runs `pitr-warden notices <args>` in-process on memory deps, with captured output. */
async function run(deps: NoticesDeps, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const seen: { local?: boolean }[] = [];
  const command = noticesCommand({
    io: { out: (text) => out.push(text), err: (text) => err.push(text) },
    deps: (options) => {
      seen.push(options);
      return Promise.resolve(deps);
    },
  });
  command.exitOverride().configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
  await command.parseAsync(args, { from: 'user' });
  return { stdout: out.join(''), stderr: err.join(''), seen };
}

describe('pitr-warden notices preview', () => {
  it('prints subject and plain text per digest in table mode, and sends nothing', async () => {
    const { deps, mailer } = await memoryNoticesDeps([
      cloneServer('pg-a', 'a@contoso.com'),
      cloneServer('pg-b', 'b@contoso.com', { Purpose: '<b>x</b>' }),
    ]);
    const { stdout, seen } = await run(deps, ['preview', '--local']);
    expect(seen).toEqual([{ local: true }]);
    expect(stdout).toMatch(/^2 digest\(s\) would be sent at 2026-11-21T09:00:00\.000Z\./);
    expect(stdout).toContain('To:      a@contoso.com');
    expect(stdout).toContain('Notices: pg-b (new-clone)');
    expect(stdout).toContain('Subject: [pitr-warden] pg-a: new, expires 2026-12-01 00:00 UTC');
    expect(stdout).toContain('Purpose: <b>x</b>'); // plain text keeps the value as written
    expect(stdout).not.toContain('<html');
    expect(mailer.sent).toEqual([]);
  });

  it('prints JSON with the HTML part, for one owner', async () => {
    const { deps } = await memoryNoticesDeps([
      cloneServer('pg-a', 'a@contoso.com'),
      cloneServer('pg-b', 'b@contoso.com', { Purpose: '<b>x</b>' }),
    ]);
    const { stdout } = await run(deps, ['preview', '--owner', 'b@contoso.com', '--output', 'json']);
    const preview = JSON.parse(stdout) as {
      digests: {
        to: string;
        subject: string;
        plainText: string;
        html: string;
        notices: { server: string; stage: string }[];
      }[];
    };
    expect(preview.digests).toHaveLength(1);
    expect(preview.digests[0]).toMatchObject({
      to: 'b@contoso.com',
      notices: [{ server: 'pg-b', stage: 'new-clone' }],
    });
    expect(preview.digests[0]!.html).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it('says when nothing is due', async () => {
    const { deps } = await memoryNoticesDeps([cloneServer('pg-a', 'a@contoso.com')]);
    const { stdout } = await run(deps, ['preview', '--owner', 'nobody@contoso.com']);
    expect(stdout).toBe('No notices due at 2026-11-21T09:00:00.000Z for nobody@contoso.com.');
  });
});
