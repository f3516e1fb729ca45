import { Command, Option } from 'commander';
import { previewOwnerNotices, type NoticePreview, type NoticesDeps } from '../../jobs/notices.js';
import { cliDeps } from '../context.js';
import { outputOption, processIo, type Io, type OutputFormat } from '../output.js';
import { emailOrObjectId } from './restore.js';

export interface NoticesCommandOptions {
  readonly io?: Io;
  /** Where the ports come from (default: the environment, or the `npm start` stack with --local). */
  readonly deps?: (options: { local?: boolean }) => Promise<NoticesDeps>;
}

/**
 * `pitr-warden notices preview [--owner <email>] [--output json|table] [--local]`: what the next notices run would
 * send, rendered, without sending or recording anything.
 * @example program.addCommand(noticesCommand());
 */
export function noticesCommand(options: NoticesCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  const depsFor = options.deps ?? cliDeps;
  const notices = new Command('notices').description('owner notices (per-owner digests through ACS Email)');
  notices
    .command('preview')
    .description(
      'render what the next notices run would send, without sending (plans live servers and reads the inventory)',
    )
    .addOption(
      new Option(
        '--owner <email>',
        'only the digest of this recipient (an e-mail address or an Entra object id)',
      ).argParser(emailOrObjectId),
    )
    .addOption(outputOption('table'))
    .addOption(new Option('--local', 'talk to the stack `npm start` runs (its Azurite and emulator)'))
    .action(async (opts: { owner?: string; output: OutputFormat; local?: boolean }) => {
      const deps = await depsFor({ local: opts.local });
      const preview = await previewOwnerNotices(deps, opts.owner ? { owner: opts.owner } : {});
      for (const p of preview.problems) io.err(`warning: ${p.id}: ${p.reason}`);
      if (opts.output === 'json') {
        io.out(JSON.stringify(preview, null, 2));
        return;
      }
      io.out(renderPreview(preview.digests, preview.generatedAt, opts.owner));
    });
  return notices;
}

/** Subject and plain text of each digest, one block per recipient. */
export function renderPreview(digests: readonly NoticePreview[], generatedAt: string, owner?: string): string {
  if (digests.length === 0) return `No notices due at ${generatedAt}${owner ? ` for ${owner}` : ''}.`;
  const blocks = digests.map((d) =>
    [
      `To:      ${d.to}`,
      `Subject: ${d.subject}`,
      `Notices: ${d.notices.map((n) => `${n.server} (${n.stage}${n.leadDays !== undefined ? ` ${n.leadDays}d` : ''})`).join(', ')}`,
      '',
      d.plainText.trimEnd(),
    ].join('\n'),
  );
  const rule = `\n\n${'-'.repeat(72)}\n\n`;
  return `${digests.length} digest(s) would be sent at ${generatedAt}.${rule}${blocks.join(rule)}`;
}
