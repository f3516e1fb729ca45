import { describe, expect, it } from 'vitest';
import { program } from '../../src/cli/main.js';

function capture(argv: string[]): { out: string; code: number | undefined } {
  let out = '';
  const root = program({ exitOverride: true, output: { writeOut: (s) => (out += s), writeErr: (s) => (out += s) } });
  let code: number | undefined;
  try {
    root.parse(argv, { from: 'user' });
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode;
  }
  return { out, code };
}

describe('pitr-warden CLI root', () => {
  it('--help lists the commands operators use', () => {
    const { out, code } = capture(['--help']);
    expect(code).toBe(0);
    for (const command of ['classify', 'plan', 'policy', 'inventory', 'evidence']) expect(out).toContain(command);
  });

  it('--version prints the version', () => {
    const { out, code } = capture(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command is refused input (exit 2) that points at --help', () => {
    const { out, code } = capture(['frobnicate']);
    expect(code).toBe(2);
    expect(out).toMatch(/unknown command 'frobnicate'/);
  });

  it('--output accepts only json or table', () => {
    const { out, code } = capture(['inventory', 'list', '--output', 'yaml']);
    expect(code).toBe(2);
    expect(out).toMatch(/Allowed choices are json, table/);
  });

  it('--help documents the exit statuses: 0 done, 1 failure or unhealthy, 2 refused input', () => {
    const { out } = capture(['--help']);
    expect(out).toContain('Exit status:');
    expect(out).toMatch(/0 {2}done/);
    expect(out).toMatch(/1 {2}failure: .*unhealthy/);
    expect(out).toMatch(/2 {2}refused input/);
  });

  it('a missing required option is refused input (exit 2)', () => {
    expect(capture(['extend', 'pg-x']).code).toBe(2);
  });

  it('--as accepts only an e-mail address or an object id', () => {
    const refused = capture(['extend', 'pg-x', '--until', '2026-12-10', '--as', 'not a person']);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain(
      "option '--as <email-or-object-id>' argument 'not a person' is invalid. give an e-mail address (alice@contoso.com) or an Entra object id (a GUID).",
    );
    expect(capture(['hold', 'pg-x', '--reason', 'r', '--as', '<script>@x']).code).toBe(2);
  });

  it('--owner accepts only an e-mail address or an object id (restore and notices preview)', () => {
    const restore = capture([
      'restore',
      '--source',
      'pg',
      '--time',
      '2026-11-20T08:00:00Z',
      '--name',
      'pg-fix',
      '--incident',
      'INC-1',
      '--owner',
      'alice',
    ]);
    expect(restore.code).toBe(2);
    expect(restore.out).toContain("argument 'alice' is invalid");
    expect(capture(['notices', 'preview', '--owner', 'bob smith']).code).toBe(2);
  });
});
