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

  it('an unknown command is an error that points at --help', () => {
    const { out, code } = capture(['frobnicate']);
    expect(code).toBe(1);
    expect(out).toMatch(/unknown command 'frobnicate'/);
  });

  it('--output accepts only json or table', () => {
    const { out, code } = capture(['inventory', 'list', '--output', 'yaml']);
    expect(code).toBe(1);
    expect(out).toMatch(/Allowed choices are json, table/);
  });
});
